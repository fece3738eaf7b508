"""The single Piccolo app: one migration history in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig

from app.accounts.tables import TABLES as ACCOUNT_TABLES
from app.settings import ROOT

APP_CONFIG = AppConfig(
    app_name="ponctuel",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=[*ACCOUNT_TABLES],
    migration_dependencies=[],
    commands=[],
)
