"""All web page routes, gathered from each domain's pages module."""

from fastapi import APIRouter

from cyberhub.atlas.pages import router as atlas_pages
from cyberhub.atlas.pages_graph import router as atlas_graph_pages
from cyberhub.atlas.pages_landscape import router as landscape_pages
from cyberhub.comments.pages import router as comments_pages
from cyberhub.community.pages import router as community_pages
from cyberhub.community.pages_admin import router as admin_pages
from cyberhub.community.pages_org import router as org_pages
from cyberhub.community.pages_privacy import router as privacy_pages
from cyberhub.community.pages_profile import router as profile_pages
from cyberhub.deconfliction.pages import router as deconfliction_pages
from cyberhub.dialogue.pages import router as dialogue_pages
from cyberhub.federation.pages import router as federation_pages
from cyberhub.federation.pages_partners import router as partners_pages
from cyberhub.formats.pages import router as formats_pages
from cyberhub.insights.pages import router as insights_pages
from cyberhub.intel.pages import router as intel_pages
from cyberhub.lessons.pages import router as lessons_pages
from cyberhub.meetings.pages import router as meetings_pages
from cyberhub.notes.pages import router as notes_pages
from cyberhub.notifications.pages import router as notifications_pages
from cyberhub.operations.evidence.pages import router as evidence_pages
from cyberhub.operations.impact.pages import router as impact_pages
from cyberhub.operations.pages import router as operations_pages
from cyberhub.packages.pages import router as packages_pages
from cyberhub.ransomware.pages import router as ransomware_pages
from cyberhub.ransomware.pages_incidents import report_router as ransomware_report_pages
from cyberhub.refdata.pages import router as refdata_pages
from cyberhub.taxii.pages import router as taxii_pages
from cyberhub.vetting.pages import router as vetting_pages
from cyberhub.web.common import router as common_pages

web_router = APIRouter(include_in_schema=False)
web_router.include_router(common_pages)
web_router.include_router(community_pages)
web_router.include_router(profile_pages)
web_router.include_router(org_pages)
web_router.include_router(privacy_pages)
web_router.include_router(admin_pages)
web_router.include_router(notes_pages)
web_router.include_router(dialogue_pages)
web_router.include_router(notifications_pages)
web_router.include_router(formats_pages)
web_router.include_router(vetting_pages)
web_router.include_router(intel_pages)
web_router.include_router(refdata_pages)
web_router.include_router(atlas_pages)
web_router.include_router(atlas_graph_pages)
web_router.include_router(landscape_pages)
web_router.include_router(federation_pages)
web_router.include_router(taxii_pages)
web_router.include_router(partners_pages)
web_router.include_router(packages_pages)
web_router.include_router(ransomware_pages)
web_router.include_router(ransomware_report_pages)
web_router.include_router(meetings_pages)
web_router.include_router(lessons_pages)
web_router.include_router(comments_pages)
web_router.include_router(insights_pages)
web_router.include_router(deconfliction_pages)
web_router.include_router(evidence_pages)
web_router.include_router(impact_pages)
web_router.include_router(operations_pages)
