"""The single Piccolo app: one migration history in the top-level migrations/ folder."""

from piccolo.conf.apps import AppConfig

from app.accounts.tables import TABLES as ACCOUNT_TABLES
from app.companies.tables import TABLES as COMPANY_TABLES
from app.scores.tables import TABLES as SCORE_TABLES
from app.settings import ROOT

# Every table of the product, parents before children (tests empty them in reverse order).
ALL_TABLES = [*ACCOUNT_TABLES, *COMPANY_TABLES, *SCORE_TABLES]

APP_CONFIG = AppConfig(
    app_name="ponctuel",
    migrations_folder_path=str(ROOT / "migrations"),
    table_classes=ALL_TABLES,
    migration_dependencies=[],
    commands=[],
)
