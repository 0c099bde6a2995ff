"""Every table of copbot. Import from here so that Alembic and the app see the same metadata."""

from sqlmodel import SQLModel

# Named constraints keep migrations identical on SQLite and PostgreSQL and let Alembic alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from storage.models.app_state import AppState  # noqa: E402
from storage.models.audit import AuditEvent  # noqa: E402
from storage.models.cafe import (  # noqa: E402
    Cafe,
    CafeNote,
    CafeNotice,
    CafeParticipant,
    CafeRole,
    CafeSeat,
    CafeState,
    CafeTable,
    NoteKind,
)
from storage.models.claims import InteractionClaim, WorkLease  # noqa: E402
from storage.models.community import Community, SyncedRole  # noqa: E402
from storage.models.contributions import Contribution, Reaction, TrackedChannel  # noqa: E402
from storage.models.membership import (  # noqa: E402
    Member,
    Organisation,
    OrganisationCopStatus,
    OrganisationMembership,
    OrganisationRepresentative,
)
from storage.models.platforms import (  # noqa: E402
    Platform,
    PlatformDelivery,
    PlatformInvite,
    PlatformLink,
    PlatformResponse,
    PlatformShare,
)
from storage.models.prompts import (  # noqa: E402
    PromptPost,
    PromptSchedule,
    Question,
    QuestionStatus,
)
from storage.models.scheduling import Firing, FiringStatus, MisfirePolicy, Schedule  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "AppState",
    "AuditEvent",
    "Cafe",
    "CafeNote",
    "CafeNotice",
    "CafeParticipant",
    "CafeRole",
    "CafeSeat",
    "CafeState",
    "CafeTable",
    "Community",
    "Contribution",
    "Firing",
    "FiringStatus",
    "InteractionClaim",
    "Member",
    "MisfirePolicy",
    "NoteKind",
    "Organisation",
    "OrganisationCopStatus",
    "OrganisationMembership",
    "OrganisationRepresentative",
    "Platform",
    "PlatformDelivery",
    "PlatformInvite",
    "PlatformLink",
    "PlatformResponse",
    "PlatformShare",
    "PromptPost",
    "PromptSchedule",
    "Question",
    "QuestionStatus",
    "Reaction",
    "Schedule",
    "SyncedRole",
    "TrackedChannel",
    "WorkLease",
    "metadata",
]
