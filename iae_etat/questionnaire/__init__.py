"""The annual SIAE questionnaire: its layout, the workbook, and the reading of returns."""
