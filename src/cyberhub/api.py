"""The REST API under /api/v1."""

from fastapi import APIRouter

from cyberhub.atlas.api import router as atlas_router
from cyberhub.atlas.api_graph import router as atlas_graph_router
from cyberhub.atlas.api_landscape import router as landscape_router
from cyberhub.comments.api import router as comments_router
from cyberhub.community.api import router as community_router
from cyberhub.deconfliction.api import router as deconfliction_router
from cyberhub.dialogue.api import router as dialogue_router
from cyberhub.federation.api import router as federation_router
from cyberhub.federation.api_network import router as network_router
from cyberhub.formats.api import router as formats_router
from cyberhub.insights.api import router as insights_router
from cyberhub.intel.api import router as intel_router
from cyberhub.intel.api_objects import router as objects_router
from cyberhub.lessons.api import router as lessons_router
from cyberhub.meetings.api import router as meetings_router
from cyberhub.notes.api import router as notes_router
from cyberhub.notifications.api import router as notifications_router
from cyberhub.operations.api import router as operations_router
from cyberhub.operations.evidence.api import router as evidence_router
from cyberhub.operations.impact.api import router as impact_router
from cyberhub.packages.api import router as packages_router
from cyberhub.ransomware.api import router as ransomware_router
from cyberhub.vetting.api import router as vetting_router

api_router = APIRouter()
api_router.include_router(community_router)
api_router.include_router(notes_router)
api_router.include_router(dialogue_router)
api_router.include_router(notifications_router)
api_router.include_router(intel_router)
api_router.include_router(objects_router)
api_router.include_router(atlas_router)
api_router.include_router(atlas_graph_router)
api_router.include_router(landscape_router)
api_router.include_router(federation_router)
api_router.include_router(network_router)
api_router.include_router(formats_router)
api_router.include_router(vetting_router)
api_router.include_router(packages_router)
api_router.include_router(ransomware_router)
api_router.include_router(meetings_router)
api_router.include_router(lessons_router)
api_router.include_router(comments_router)
api_router.include_router(insights_router)
api_router.include_router(operations_router)
api_router.include_router(deconfliction_router)
api_router.include_router(evidence_router)
api_router.include_router(impact_router)
