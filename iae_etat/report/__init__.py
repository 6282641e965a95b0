"""What people read: the HTML report, its charts and the control files."""
