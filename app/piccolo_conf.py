"""Piccolo's configuration module, used by the `piccolo` CLI (migrations).

The application itself binds its engine from Settings in app.db; this module builds the
same engine from the same environment variables for the command line.
"""

import os

from piccolo.conf.apps import AppRegistry

from app.db import engine_for
from app.settings import Settings

DB = engine_for(Settings.from_env(os.environ))
APP_REGISTRY = AppRegistry(apps=["app.piccolo_app"])
