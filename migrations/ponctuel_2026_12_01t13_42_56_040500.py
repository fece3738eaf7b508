from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-01T13:42:56:040500"
VERSION = "1.38.0"
DESCRIPTION = "secret hashes hold a key id"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="ponctuel", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="AccountToken",
        tablename="account_token",
        column_name="token_hash",
        db_column_name="token_hash",
        params={"length": 96},
        old_params={"length": 80},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Invitation",
        tablename="invitation",
        column_name="token_hash",
        db_column_name="token_hash",
        params={"length": 96},
        old_params={"length": 80},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="RecoveryCode",
        tablename="recovery_code",
        column_name="code_hash",
        db_column_name="code_hash",
        params={"length": 96},
        old_params={"length": 80},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
