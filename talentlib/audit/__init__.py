"""Audit a whole release for disclosure by differencing: the interval an attacker can put on every
suppressed count cell, from everything that was published together.

``privacy.disclose`` protects each table on its own. A release is safe only if no combination of
its tables pins a suppressed cell: the same breakdown printed in several tables with different
hidden cells, a 12-field comparison table next to the fields' own tables, or an earlier release
of the same data. ``check_release`` reads every table of a run folder and answers, per suppressed
cell, how narrowly it can be pinned.

Method
------
* **Cells.** In each published table (``tables/<name>.parquet``; the ledger ``disclosure.json``
  names the count column) every row is a count cell: published (a known constant) or suppressed
  (an unknown). Rows holding ``privacy.TOTAL`` in some dimensions are margins: the margin equals
  the sum of the interior cells that agree on the other dimensions. ``disclose`` publishes zeros
  and never suppresses one, so a suppressed cell is an integer of at least 1; cells missing from
  a table (``group_by`` does not list empty combinations) are zero.
* **Populations.** Tables count the same units only when they say so: a ``Population`` names the
  universe (same data, same cohort parameters, same counting unit), maps each dimension column on
  an attribute of that universe (with a recode where the table shows a coarser grouping, e.g.
  ``state`` = ``employed`` is every employer type of ``destination``), and filters the attributes
  the table is restricted to (e.g. 12 months after exit, employed, field BATT). The table
  writers record it: ``disclose(population=...)`` puts it in the ledger entry (``"population"``,
  ``Population.to_json`` form, ``privacy.DATA_TOKEN`` standing for the data fingerprint), as
  ``careers.population`` and ``workforce.population`` do for notebooks 03 and 01;
  ``registry_population`` is the fallback for ledgers without it (it asks the same functions,
  and holds notebook 02's postings tables). A table without either is audited on its own.
  ``same_cells`` finds, from the same metadata, the entries of different tables that count the
  very same units; ``careers.release_family`` uses it to hide such cells alike in every table.
* **Linking.** For every two tables of one universe, per attribute the values are grouped into
  the finest classes that both tables can sum to (connected components of their classes); a
  class lying within both tables' filters gives one equation: the first table's cells in it sum
  to the second table's. With nested groupings this is exactly what the two tables say about
  each other (any pair of margins that agree can be completed into a joint table), and for a
  family of tables whose shared dimensions form a tree (the career tables: every table is one
  attribute crossed with the destination) pairwise agreement is all the joint table adds. Other
  families get a relaxation: intervals may be wider than an attacker's best, never narrower than
  the truth. Known structure adds constraints: co-occurrence counts are symmetric, the number at
  risk never grows, a company count is the number of rows of the postings-by-company table.
* **Intervals.** The unknowns split into connected components (unknowns sharing an equation).
  Within one, an equation left with a single unknown fixes it (plain differencing) and
  ``x_a = x_b`` merges the same cell printed twice; then for each remaining suppressed cell
  HiGHS minimises and maximises it (``scipy.optimize.linprog(method="highs")``, or scipy's
  bundled HiGHS object kept between solves, which gives the same answers much faster). The LP bounds are rounded inwards (the cells are integers, so the true value lies in
  ``[ceil(min), floor(max)]``); when the LP optimum is not an integer point, ``milp`` tightens
  the bound with integrality (time-limited; the rounded LP bound stays if it does not finish).
  The attacker's best guess is the middle of the interval.
* **Protection rule.** A suppressed cell fails when it may be a small count and is pinned:
  ``lower < threshold`` and ``upper - lower < p`` with ``p = max(3, ceil(0.3 * threshold))``
  (``--protection`` sets p). A cell whose lower bound reaches the threshold is not a small count
  (a complementary cell) and passes even when recovered exactly; the report counts those
  exact recoveries separately. ``review``: the solver gave no answer, or the equations of a
  component contradict each other (population metadata that does not hold; such a component is
  then solved with each table's own margins only). Published counts of 1 to threshold - 1 fail
  outright.

Perturbed counts (cell-key method, ``talentlib.cellkey``): a table whose ledger rules carry
``max_perturbation: D`` publishes ``p`` for a true count in ``[max(threshold, p - D), p + D]``
(zeros stay zero; smaller counts are never published); its published cells then enter the model
as bounded unknowns instead of constants. Only the suppressed cells get intervals. A ledger entry
with ``complementary_suppression: false`` says that only cells under the threshold are hidden:
a reader then knows each suppressed count lies in ``1..threshold-1``, and so does the model.

Run folders: a run with ``release/`` is audited on what it releases (``release/<field>/``); the
disclosure stamps come from ``release/<field>/disclosure.json`` or else from the run's
``internal/<field>/disclosure.json`` (entries whose hash matches the released file).

The report itself names the values an attacker would recover, so it is for the output checker
inside the secure environment, never part of a release (like ``DisclosedTable.log``).

Magnitudes (wage quantiles, shares) and tables that are not partitions of a population
(co-occurrences, prevalence, at-risk counts) get the within-table checks only, plus the structure
named above.

One module per stage, data flowing one way (each imports only those before it)::

    population  what a table counts (``Population``, ``registry_population``)
    release     reading a run folder into ``PublishedTable``s (``load_release``)
    model       cells, margins, links between tables, known structure (``same_cells``)
    solver      differencing, LP/MILP bounds, worker processes (its knobs:
                ``solver.PARALLEL_MIN_SIZE``, ``solver.MILP_SECONDS``)
    verdict     the protection rule and the results (``AuditResult``)
    check       ``audit``: model → solver → verdicts; ``secondary_cells``
    report      the Korean report and the command (``check_release``)
"""

from __future__ import annotations

from .check import audit, secondary_cells
from .model import TOTAL, same_cells
from .population import AllExcept, Population, ValueSet, registry_population
from .release import LEDGER, PublishedTable, Skipped, load_release
from .report import REPORT_JSON, REPORT_MD, STATUS_KO, check_release, to_markdown
from .verdict import AuditResult, CellResult, TableResult, protection_level, verdict

__all__ = [
    "AllExcept",
    "AuditResult",
    "CellResult",
    "LEDGER",
    "Population",
    "PublishedTable",
    "REPORT_JSON",
    "REPORT_MD",
    "STATUS_KO",
    "Skipped",
    "TOTAL",
    "TableResult",
    "ValueSet",
    "audit",
    "check_release",
    "load_release",
    "protection_level",
    "registry_population",
    "same_cells",
    "secondary_cells",
    "to_markdown",
    "verdict",
]
