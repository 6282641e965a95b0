"""The bar chart as a reader sees it: every value written past its bar, inside the frame."""

from __future__ import annotations

from iae_etat.report.charts import bar_chart, bar_figure


def test_each_value_is_written_past_its_bar_and_inside_the_frame():
    # the demo's ETP by kind: the longest bar's label used to run out of the frame, and a
    # short bar's label to sit on its hatching
    fig = bar_figure(["ACI", "AI", "ETTI"], [628.9, 197.1, 165.5], "ETP")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts]
    assert [t.get_text() for t in labels] == ["628,9", "197,1", "165,5"]
    for text, bar in zip(labels, ax.patches, strict=True):
        box, extent = text.get_window_extent(renderer), bar.get_window_extent(renderer)
        assert box.x0 > extent.x1                       # past the end of the bar
        assert box.x1 <= frame.x1                       # inside the frame
        assert extent.y0 <= (box.y0 + box.y1) / 2 <= extent.y1


def test_a_chart_of_zeros_still_draws():
    assert bar_chart(["ACI"], [0.0], "ETP").startswith("<svg")
