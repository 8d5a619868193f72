"""The REST API under /api/v1."""

from fastapi import APIRouter

from cyberhub.atlas.api import router as atlas_router
from cyberhub.atlas.api_landscape import router as landscape_router
from cyberhub.community.api import router as community_router
from cyberhub.federation.api import router as federation_router
from cyberhub.intel.api import router as intel_router
from cyberhub.intel.api_objects import router as objects_router
from cyberhub.notes.api import router as notes_router

api_router = APIRouter()
api_router.include_router(community_router)
api_router.include_router(notes_router)
api_router.include_router(intel_router)
api_router.include_router(objects_router)
api_router.include_router(atlas_router)
api_router.include_router(landscape_router)
api_router.include_router(federation_router)
