"""Workforce-map indicators: the domestic R&D workforce and Korea's place among the world's key
talent, plus the keyword/topic classification of papers and projects that feeds them.

One module per part, and one face (``map_tables``) for a field's whole map:

* **Classification** (``classify_publications``, ``classify_projects``): the taxonomy's keyword
  rules (``keywords_ko``/``keywords_en``, matched as ``taxonomy.keyword_in`` does, vectorised with
  Aho-Corasick) and its ``openalex_topics`` crosswalk, scored against a known truth with
  ``classification_accuracy``.
* **Domestic** (researchers + participations): a researcher × unit × year activity panel and the
  tables built on it — headcounts by degree, role, age band, institution type, region, career
  stage; growth; institution concentration; entrants and leavers; the pyramid; field overlap.
  These count people: publish them only through ``privacy.disclose``.
* **Global** (publications + authorships, OpenAlex-like): full and fractional country counts,
  PP(top10%) and shares of the world's top-10 % papers, Korea's rank and gap to the leader,
  Activity Index, international collaboration and a country network (association strength),
  key institutions and researchers by field-normalised citations, topic trends, author mobility.
  Paper counts by country are public bibliometrics and are published as they are; tables that
  count people (author flows) go through ``privacy.disclose`` like the domestic ones.

Definitions follow the synthetic truth (``talentlib.synth.truth``): a paper is in the top 10 %
when its citations reach the 90th percentile (``interpolation="higher"``, ties included) of its
field × publication year; a country's fractional credit for a paper is the share of its authors
affiliated there (an author with several affiliations splits their share equally).
"""

from __future__ import annotations

from .bibliometrics import (
    DISAMBIGUATION_NOTE,
    UNKNOWN_COUNTRY,
    WORLD,
    Bibliometrics,
    activity_index,
    author_mobility,
    bibliometrics,
    collaboration,
    collaboration_network,
    country_output,
    global_indicators,
    global_key_numbers,
    key_institutions,
    key_researchers,
    korea_vs_leader,
    select_countries,
    share_over_time,
    talent_flow,
    topic_trends,
    trend_series,
)
from .classify import (
    classification_accuracy,
    classify_projects,
    classify_publications,
    classify_texts,
    keyword_matches,
    keyword_patterns,
    truth_accuracy,
)
from .domestic import (
    activity_panel,
    career_pyramid,
    concentration_table,
    disclosed_headcount,
    entrants_leavers,
    field_overlap,
    growth,
    headcount,
    institution_concentration,
    institution_groups,
    top_institutions,
)
from .inputs import Inputs, load_inputs
from .tables import (
    HEADCOUNT_DIMS,
    MapSpec,
    MapTables,
    map_tables,
    population,
    published_key_numbers,
    researchers_by_author,
)
from .world import World, build_world, prepare_world

__all__ = [
    "DISAMBIGUATION_NOTE",
    "HEADCOUNT_DIMS",
    "UNKNOWN_COUNTRY",
    "WORLD",
    "World",
    "Bibliometrics",
    "Inputs",
    "MapSpec",
    "MapTables",
    "activity_index",
    "activity_panel",
    "author_mobility",
    "bibliometrics",
    "build_world",
    "career_pyramid",
    "classification_accuracy",
    "classify_projects",
    "classify_publications",
    "classify_texts",
    "collaboration",
    "collaboration_network",
    "concentration_table",
    "country_output",
    "disclosed_headcount",
    "entrants_leavers",
    "field_overlap",
    "global_indicators",
    "global_key_numbers",
    "growth",
    "headcount",
    "institution_concentration",
    "institution_groups",
    "key_institutions",
    "key_researchers",
    "keyword_matches",
    "keyword_patterns",
    "korea_vs_leader",
    "load_inputs",
    "map_tables",
    "population",
    "prepare_world",
    "published_key_numbers",
    "researchers_by_author",
    "select_countries",
    "share_over_time",
    "talent_flow",
    "top_institutions",
    "topic_trends",
    "trend_series",
    "truth_accuracy",
]
