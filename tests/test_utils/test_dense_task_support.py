"""The one-line reasons given where mmdet or mmseg cannot run."""
import importlib.util

import pytest

from mmconformer.utils import dense_task_support
from mmconformer.utils.dense_task_support import dense_task_unavailable

# plain_clone: the reasons are what a user with mmcv-lite reads
pytestmark = pytest.mark.plain_clone

REAL_FIND_SPEC = importlib.util.find_spec


def pretend_missing(monkeypatch, *names):
    def find_spec(name, *args, **kwargs):
        if name in names:
            return None
        return REAL_FIND_SPEC(name, *args, **kwargs)

    monkeypatch.setattr(dense_task_support.importlib.util, 'find_spec',
                        find_spec)


@pytest.mark.parametrize('library', ['mmdet', 'mmseg'])
def test_mmcv_lite_is_named_with_the_fix(monkeypatch, library):
    pretend_missing(monkeypatch, 'mmcv._ext')
    reason = dense_task_unavailable(library)
    assert 'mmcv-lite' in reason and 'mmcv>=2.0.0,<2.2.0' in reason
    assert library in reason and '\n' not in reason
    if library == 'mmseg':
        assert 'mmsegmentation==1.2.2 ftfy regex' in reason


def test_no_mmcv_at_all(monkeypatch):
    pretend_missing(monkeypatch, 'mmcv')
    assert 'mmcv is not installed' in dense_task_unavailable('mmseg')


def test_modules_mmseg_imports_without_declaring_them(monkeypatch):
    pytest.importorskip('mmcv._ext', reason='needs the compiled mmcv')
    pretend_missing(monkeypatch, 'ftfy', 'regex')
    reason = dense_task_unavailable('mmseg')
    assert reason.startswith('ftfy, regex not installed')
    assert dense_task_unavailable('mmdet') != reason


def test_an_import_error_is_reported_in_one_line(monkeypatch):
    pytest.importorskip('mmcv._ext', reason='needs the compiled mmcv')
    pytest.importorskip('mmdet', reason='needs mmdet')

    def fail(name):
        raise AssertionError('MMCV==2.2.0 is used but incompatible.\nmore')

    monkeypatch.setattr(dense_task_support.importlib, 'import_module', fail)
    assert dense_task_unavailable('mmdet') == (
        'mmdet does not import: AssertionError: MMCV==2.2.0 is used but '
        'incompatible.')


def test_this_environment_answers_consistently():
    """None exactly where the library and the compiled ops import."""
    for library in ('mmdet', 'mmseg'):
        reason = dense_task_unavailable(library)
        try:
            importlib.import_module(library)
            import mmcv.ops  # noqa: F401
            importable = True
        except Exception:
            importable = False
        assert (reason is None) == importable, reason


def test_unknown_library_names_the_choices():
    with pytest.raises(ValueError, match=r"\('mmdet', 'mmseg'\).*'mmpose'"):
        dense_task_unavailable('mmpose')
