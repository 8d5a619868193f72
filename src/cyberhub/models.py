"""Imports every model so that metadata (Alembic, tests) sees the whole schema."""

from cyberhub.atlas.attack_rollup import AttackRollup
from cyberhub.atlas.graph_rollup import NodeRollup
from cyberhub.atlas.landscape_rollup import LandscapeRollup
from cyberhub.audit import AuditEntry, AuditHead
from cyberhub.comments import cleanup as _comments_cleanup  # noqa: F401 - its flush hook
from cyberhub.comments.models import Comment
from cyberhub.community.models import (
    ApiToken,
    Group,
    GroupMember,
    Organisation,
    SecurityKey,
    SigninFailure,
    User,
    WebSession,
)
from cyberhub.db import Base
from cyberhub.deconfliction.models import Hit as DeconflictionHit
from cyberhub.deconfliction.models import NetworkDigest as DeconflictionNetworkDigest
from cyberhub.deconfliction.models import RateWindow as DeconflictionRateWindow
from cyberhub.deconfliction.models import Registration as DeconflictionRegistration
from cyberhub.dialogue.models import Attachment as DialogueAttachment
from cyberhub.dialogue.models import Contribution, Dialogue, Reaction
from cyberhub.federation.models import MatchDigest, MispFeed, Peer
from cyberhub.formats.models import CsvMapping
from cyberhub.generations import Generation
from cyberhub.insights.models import Insight, InsightObject
from cyberhub.intel.models import (
    Import,
    ObservableValue,
    StixObject,
    StixObjectVersion,
    StixRef,
)
from cyberhub.lessons.models import Lesson, LessonTag
from cyberhub.meetings.models import ActionItem, Decision, Meeting, MeetingAttendee
from cyberhub.notes.models import Note
from cyberhub.notifications.models import (
    Notification,
    NotificationSettings,
    Watch,
    Webhook,
    WebhookDelivery,
)
from cyberhub.operations.evidence.models import CustodyEvent, EvidenceItem
from cyberhub.operations.impact.models import ImpactPublication, Outcome
from cyberhub.operations.models import (
    Operation,
    OperationParticipant,
    OperationTarget,
    OperationTask,
    TimelineEntry,
)
from cyberhub.packages.models import IntelPackage, PackageAck, PackageObject
from cyberhub.ransomware.models import (
    Decryptor,
    Incident,
    IncidentVictim,
    ReportAttempt,
    ReportLink,
    WalletTransaction,
)
from cyberhub.ransomware.models_leakposts import LeakPost, LeakPostImport
from cyberhub.ransomware.readiness_models import ReadinessAssessment
from cyberhub.refdata.models import ReferenceDataset
from cyberhub.sharing import AudienceEntry
from cyberhub.taxii.models import TaxiiCollection
from cyberhub.vetting.models import VettingVote

__all__ = [
    "ActionItem",
    "ApiToken",
    "AttackRollup",
    "AudienceEntry",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Comment",
    "Contribution",
    "CsvMapping",
    "CustodyEvent",
    "Decision",
    "DeconflictionHit",
    "DeconflictionNetworkDigest",
    "DeconflictionRateWindow",
    "DeconflictionRegistration",
    "Decryptor",
    "Dialogue",
    "DialogueAttachment",
    "EvidenceItem",
    "Generation",
    "Group",
    "GroupMember",
    "ImpactPublication",
    "Import",
    "Incident",
    "IncidentVictim",
    "Insight",
    "InsightObject",
    "IntelPackage",
    "LandscapeRollup",
    "LeakPost",
    "LeakPostImport",
    "Lesson",
    "LessonTag",
    "MatchDigest",
    "Meeting",
    "MeetingAttendee",
    "MispFeed", "NodeRollup",
    "Note",
    "Notification",
    "NotificationSettings",
    "ObservableValue",
    "Operation",
    "OperationParticipant",
    "OperationTarget",
    "OperationTask",
    "Organisation",
    "Outcome",
    "PackageAck",
    "PackageObject",
    "Peer",
    "Reaction",
    "ReadinessAssessment",
    "ReferenceDataset",
    "ReportAttempt",
    "ReportLink",
    "SecurityKey",
    "SigninFailure",
    "StixObject",
    "StixObjectVersion",
    "StixRef",
    "TaxiiCollection",
    "TimelineEntry",
    "User",
    "VettingVote",
    "WalletTransaction",
    "Watch",
    "WebSession",
    "Webhook",
    "WebhookDelivery",
]

# Whoever loads the whole schema (the app, the worker, the CLI, migrations, tests) also
# gets the notifications listener on the event bus.
import cyberhub.notifications.delivery  # noqa: F401
