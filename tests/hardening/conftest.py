import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parcelwatch.accounts.services import issue_api_token
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg


def bearer(user) -> dict:
    key, _token = issue_api_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def photo(name: str = "p.jpg", colour=(200, 30, 30)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(colour), content_type="image/jpeg")


@pytest.fixture
def event(cast):
    return report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet,
                        category=EventCategory.objects.get(code="BA02"), description="备案地址不符",
                        photos=[store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)])
