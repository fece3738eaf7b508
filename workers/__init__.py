"""arq worker: background jobs sharing the app's services."""
