from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T23:04:50:324244"
VERSION = "1.38.0"
DESCRIPTION = "typo vocabulary: no variant column"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="ponctuel", description=DESCRIPTION)

    manager.drop_column(
        table_class_name="SearchWord",
        tablename="search_word",
        column_name="variant",
        db_column_name="variant",
        schema=None,
    )

    return manager
