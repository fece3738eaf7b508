"""Account pages, one module per topic; app.main registers each module's router."""
