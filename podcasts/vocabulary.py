"""The closed vocabularies a podcast directory checks: Apple's categories and language codes.

Apple Podcasts (and Spotify, which reads the same tags) accept only the categories of Apple's
list ("Apple Podcasts categories", podcasters.apple.com), spelled exactly, optionally with one
of their subcategories. On the wire a category is ``"Arts"`` or ``"Arts > Books"``.

RSS ``<language>`` takes an ISO 639-1 code, optionally with a region (``en``, ``en-us``).
"""

from __future__ import annotations

import re

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": (
        "Books",
        "Design",
        "Fashion & Beauty",
        "Food",
        "Performing Arts",
        "Visual Arts",
    ),
    "Business": (
        "Careers",
        "Entrepreneurship",
        "Investing",
        "Management",
        "Marketing",
        "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journal",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}

CATEGORY_SEPARATOR = " > "

CATEGORY_CHOICES: tuple[str, ...] = tuple(
    name
    for category, subcategories in APPLE_CATEGORIES.items()
    for name in (category, *(f"{category}{CATEGORY_SEPARATOR}{sub}" for sub in subcategories))
)


def category_parts(category: str) -> tuple[str, str | None]:
    """``"Arts > Books"`` -> ``("Arts", "Books")``; ``"History"`` -> ``("History", None)``."""
    main, _, sub = category.partition(CATEGORY_SEPARATOR)
    return main, sub or None


_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu
hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb
lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om
or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw
ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
_LANGUAGE = re.compile(r"(?P<primary>[a-z]{2})(?:-(?P<region>[a-z]{2}))?")


def normalize_language(value: str) -> str | None:
    """The lower-case RSS language code for ``value``, or ``None`` when it is not one."""
    match = _LANGUAGE.fullmatch(value.strip().lower())
    if match is None or match["primary"] not in ISO_639_1:
        return None
    return match.group(0)
