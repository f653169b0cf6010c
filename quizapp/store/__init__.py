"""Progress storage: SQLAlchemy models, the engine factory, migrations, the repository."""

from quizapp.store.engine import Store, make_engine
from quizapp.store.errors import DatabaseTooNew, StoreError, UnknownUser, UserExists
from quizapp.store.migrate import open_store, upgrade_to_head

__all__ = [
    "DatabaseTooNew",
    "Store",
    "StoreError",
    "UnknownUser",
    "UserExists",
    "make_engine",
    "open_store",
    "upgrade_to_head",
]
