"""YouTube's tests and its local fakes (OAuth and Data API, resumable uploads)."""

# The upload chunk size the tests configure: small, and a multiple of 256 KiB as YouTube needs.
CHUNK = 256 * 1024
