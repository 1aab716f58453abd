"""iamd: an IAM and STS server."""
