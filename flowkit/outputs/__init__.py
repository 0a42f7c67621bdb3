"""Safe writes: files appear only when complete, and a command deletes only what it wrote.

Every flowkit command that writes files (``convert``, ``simulate``, ``report``, ``demo``) writes through
this module, which keeps four promises:

1. **Complete or absent.** A file is written under a temporary name inside the destination (a staging
   folder ``.flowkit-staging-<id>/`` in the output folder, or ``.<name>.<id>.flowkit-tmp`` beside a single
   file) and renamed into place when complete, so no final name ever holds half a file.
2. **Only its own files.** An output folder's manifest, ``.flowkit-manifest.json``, records the files
   the command wrote there; a command replaces or deletes those and nothing else, and refuses to replace
   a file of the same name that it did not write unless told to (``overwrite=True``, ``--overwrite``).
3. **Never the input.** An output that is, or contains, the command's input is refused
   (:func:`check_separate`).
4. **Interruptions leave a known state.** A run that fails or is interrupted (Ctrl-C) puts the folder
   back as it was at its last commit and says so in a note on the exception; a run killed outright
   leaves only bookkeeping the next run of the command removes, or a folder marked ``incomplete``
   that every reader refuses (:func:`readable`, called by :func:`flowkit.read.list_files`).

The manifest is UTF-8 JSON, itself written atomically::

    {
      "flowkit_manifest": 1,             # format version
      "command": "convert",              # the command that owns the folder (one command per folder)
      "state": "complete",               # or "incomplete": a run in progress or killed; readers refuse
      "files": {                         # what the command wrote that is part of the output: path
        "date=2026-11-02/part-...parquet": {"bytes": 81234, "rows": 5120}   # relative to the folder
      },                                 #   (POSIX), size in bytes, more per command
      "pending": [],                     # moved in, not yet committed: not part of the output
      "obsolete": [],                    # replaced, about to be deleted: not part of the output
      "staging": ".flowkit-staging-...", # the staging folder of a run in progress (absent otherwise)
      ...                                # command-specific keys: "sources" (convert), "run" (simulate)
    }

A file is governed by the nearest manifest in its folder or the folders above it. Readers skip the
files a manifest lists as ``pending`` or ``obsolete`` and every name starting with ``.flowkit-``; a
folder whose manifest says ``incomplete`` is refused with :class:`~flowkit.errors.IncompleteOutputError`.
A folder being written holds a lock file, ``.flowkit-lock`` (process ID and host), so two commands
never write one folder at once; a lock left by a killed process is taken over.

The helper API other modules use:

- :func:`atomic_path` / :func:`write_text` / :func:`write_bytes`: one file, complete or absent;
- :class:`OutputFolder`: a command's output folder (lock, manifest, :meth:`~OutputFolder.stage`,
  :meth:`~OutputFolder.commit`, roll-back on error);
- :func:`check_separate`: refuse an output that is, or contains, an input;
- :func:`readable`: what a reader may read of a list of files.
"""

from flowkit.outputs.files import (
    BOOKKEEPING_PREFIX,
    LOCK,
    MANIFEST,
    STAGING_PREFIX,
    TEMP_SUFFIX,
    atomic_path,
    check_separate,
    is_bookkeeping,
    token,
    write_bytes,
    write_text,
)
from flowkit.outputs.folder import OutputFolder
from flowkit.outputs.manifest import FORMAT_VERSION, Manifest, readable

__all__ = [
    "BOOKKEEPING_PREFIX",
    "FORMAT_VERSION",
    "LOCK",
    "MANIFEST",
    "STAGING_PREFIX",
    "TEMP_SUFFIX",
    "Manifest",
    "OutputFolder",
    "atomic_path",
    "check_separate",
    "is_bookkeeping",
    "readable",
    "token",
    "write_bytes",
    "write_text",
]
