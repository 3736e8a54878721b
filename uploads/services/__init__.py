"""Writes of the upload pipeline, one module per responsibility.

- ``jobs``: accepting a job, the user's and operator's actions (cancel, retry), and cancelling a
  disconnected channel's queued jobs.
- ``transitions``: the conditional UPDATEs that end a job and give its quota slot back.
- ``dispatch``: handing an accepted job to a worker (Celery, or the embedded runner).
- ``recovery``: which jobs a worker should look at now, recovering those whose worker died.
- ``pipeline``: running one job: claim, hand the platform a ``PublishRequest``, record the end.
- ``storage``: files uploaded into our own storage (presign, the local PUT) and the check of a
  job's ``assetUrl``.
"""
