"""The batch: every notebook of a pipeline for every field, with papermill, fields in parallel.

A pipeline (``pipelines/*.yaml``) is settings as data: notebooks, fields, parameters (shared,
per notebook, per field), disclosure thresholds and the dataset. ``prepare`` resolves it into a
plan (``outputs/<run_id>/pipeline.json``: the dataset's files and hashes, the quarantine counts,
the notebooks that exist), and ``execute`` starts ``workers`` worker processes that each take
the next field until none is left. A worker runs the field's notebooks in order in one kernel and
then publishes the field (``report.publish_field``: the disclosure gate, brief, workbook,
manifest); it reports progress as event lines to the parent and writes
``internal/<field>/status.json``. The parent prints the PDFs and gates the release. A failing
field never stops the others. Every finished step leaves a done-marker holding the hash of what it ran on,
so ``--resume`` skips exactly the work that is still valid.

The package follows a run: ``pipeline`` (the file read and checked) → ``plan`` (resolved against
the data and the notebooks: ``prepare``) → ``worker`` (a field's notebooks and brief, in a worker
process serving fields) → ``run`` (the parent: workers, the briefs compared across fields, the
summary, the PDFs, the release gate).

Layout of a run — ``release/`` is what may leave the secure environment, ``internal/`` is not::

    outputs/<run_id>/pipeline.json, run.json, data_quality.parquet   the run's own records
    outputs/<run_id>/release/<field>/brief.html, tables.xlsx, manifest.json,
                                     tables/*.parquet, charts/*.svg   only what the gate stamped
    outputs/<run_id>/release/summary/                                  the fields side by side
    outputs/<run_id>/release/release_check.json                        the auditor's verdict
    outputs/<run_id>/internal/check/check_report.{json,md}             its cells (internal)
    outputs/<run_id>/internal/withheld_release/                        a release that failed it
    outputs/<run_id>/internal/<field>/notebooks/*.ipynb                executed notebooks
    outputs/<run_id>/internal/<field>/logs/*.log                       one per notebook + field.log
    outputs/<run_id>/internal/<field>/...                              work tables, key numbers, ledger
    outputs/<run_id>/internal/prepared/                                inputs validated once
"""

from __future__ import annotations

from .pipeline import (
    BRIEF,
    CHECK_SUMMARY,
    DATASET_KEYS,
    EVENT,
    INJECTED,
    PARENT_ENV,
    PIPELINE_KEYS,
    RELEASE_CHECKS,
    REPAIR_ROUNDS,
    WITHHELD,
    NotebookSpec,
    Pipeline,
    PipelineError,
    load_pipeline,
)
from .plan import (
    PREPARED_ENV,
    Plan,
    check_parameters,
    declared_parameters,
    make_run_id,
    prepare,
    prepared_dir,
    short_hash,
)
from .run import (
    SUMMARY_PDF,
    RunBusyError,
    RunResult,
    check_release_gate,
    execute,
    failure_lines,
    run,
    run_lock,
)
from .worker import (
    INTERNAL,
    KERNEL_REUSE_MAX_MB,
    PROVENANCE,
    RELEASE,
    SLOW_OPTIONAL_IMPORTS,
    field_workdir,
    main,
    notebook_parameters,
    release_dir,
    run_field,
)

__all__ = [
    "BRIEF", "CHECK_SUMMARY", "DATASET_KEYS", "EVENT", "INJECTED", "INTERNAL",
    "KERNEL_REUSE_MAX_MB", "PARENT_ENV", "PIPELINE_KEYS", "PREPARED_ENV", "PROVENANCE", "RELEASE",
    "RELEASE_CHECKS", "REPAIR_ROUNDS", "SLOW_OPTIONAL_IMPORTS", "SUMMARY_PDF", "WITHHELD",
    "NotebookSpec", "Pipeline", "PipelineError", "Plan", "RunBusyError", "RunResult",
    "check_parameters", "check_release_gate", "declared_parameters", "execute", "failure_lines",
    "field_workdir", "load_pipeline", "main", "make_run_id", "notebook_parameters", "prepare",
    "prepared_dir", "release_dir", "run", "run_field", "run_lock", "short_hash",
]  # fmt: skip
