"""Altair theme with Korean fonts and the standard charts every notebook and brief uses.

Charts take disclosed tables (talentlib.privacy.DisclosedTable) or plain frames of published
numbers; suppressed cells are drawn as gaps and labelled 비공개, never as zero. Korean labels come
from the taxonomy; column names stay English. Heavy imports (altair, vl-convert) are deferred.

One module per layer, each importing only those before it::

    style      theme, fonts and palette; each mark's Korean description and tooltips; ``save``
    charts     the chart families (``bar``, ``stacked_share``, ``line``, ``sankey_svg``,
               ``ranked_bars``, ``quadrant``, ``heatmap``, ``network``, ``pyramid``, …)
    careers    notebook 03's charts, one builder per published career table
    workforce  notebook 01's charts, all from one ``MapTables`` (``workforce_charts``)
"""

from talentlib.viz.careers import (
    STATUS_ORDER,
    SUPPRESSED_REST,
    career_destinations,
    career_fields_status,
    career_first_job_curve,
    career_flow_sankey,
    career_status_over_time,
    career_wages_by_degree,
    cells_with_remainder,
)
from talentlib.viz.charts import (
    HIGHLIGHT,
    MUTED,
    bar,
    heatmap,
    line,
    lines,
    network,
    pyramid,
    quadrant,
    quartile_range,
    ranked_bars,
    sankey_svg,
    share_stack,
    stacked_share,
)
from talentlib.viz.style import (
    FONT,
    PALETTE,
    SUPPRESSED_LABEL,
    Part,
    cell_text,
    described,
    enable,
    save,
    theme,
    tooltips,
)
from talentlib.viz.workforce import PUBLIC_BIBLIOMETRICS, workforce_charts

__all__ = [
    "FONT",
    "HIGHLIGHT",
    "MUTED",
    "PALETTE",
    "PUBLIC_BIBLIOMETRICS",
    "STATUS_ORDER",
    "SUPPRESSED_LABEL",
    "SUPPRESSED_REST",
    "Part",
    "bar",
    "career_destinations",
    "career_fields_status",
    "career_first_job_curve",
    "career_flow_sankey",
    "career_status_over_time",
    "career_wages_by_degree",
    "cells_with_remainder",
    "cell_text",
    "described",
    "enable",
    "heatmap",
    "line",
    "lines",
    "network",
    "pyramid",
    "quadrant",
    "quartile_range",
    "ranked_bars",
    "sankey_svg",
    "save",
    "share_stack",
    "stacked_share",
    "theme",
    "tooltips",
    "workforce_charts",
]
