import pytest

from tests.support.processes import own_state


@pytest.fixture
def reporting(stack):
    proc = own_state("reporting")
    yield proc
    proc.stop()


@pytest.fixture
def issues_service(stack):
    proc = own_state("issues")
    yield proc
    proc.stop()
