//! Community detection on weighted graphs (filled in by the cluster work).
