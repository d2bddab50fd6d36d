"""Where the kit lives: the one place that names its repository.

Every copy of the URL is written from here: the first cell and the "Open in Colab" badge of
each notebook (``tools/sync_notebooks.py``) and the README's badges and Colab section (by
hand). ``tests/test_packaging.py`` fails if any copy drifts.

Until the kit is published, :data:`REPOSITORY` is a placeholder (``PUBLISHED = False``): the
badges then lead to a page that does not exist, and on Colab the first cell explains how to
install srkit from a fork or from an uploaded copy instead.
"""

#: The kit's Git repository on GitHub (no trailing slash, no ``.git``).
REPOSITORY = "https://github.com/srkit-course/srkit"
#: The branch the Colab badges open.
BRANCH = "main"
#: False while :data:`REPOSITORY` is a placeholder.
PUBLISHED = False

COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def github_path() -> str:
    """``owner/name`` of :data:`REPOSITORY`."""
    prefix = "https://github.com/"
    if not REPOSITORY.startswith(prefix) or REPOSITORY.count("/") != 4:
        raise ValueError(f"REPOSITORY must look like {prefix}owner/name, got {REPOSITORY!r}")
    return REPOSITORY[len(prefix):]


def colab_url(notebook: str) -> str:
    """The URL that opens ``notebooks/<notebook>`` of :data:`REPOSITORY` in Google Colab."""
    return f"https://colab.research.google.com/github/{github_path()}/blob/{BRANCH}/notebooks/{notebook}"


def colab_badge(notebook: str) -> str:
    """Markdown of the "Open in Colab" badge for ``notebooks/<notebook>``."""
    return f"[![Open in Colab]({COLAB_BADGE_IMAGE})]({colab_url(notebook)})"
