"""What the recommender knows about a learner before they did anything: department and interests."""

from __future__ import annotations

from dataclasses import dataclass

from mnss_foundation import i18n

CATEGORIES = ("systems", "networks", "programming", "data", "ai")

# Hospital IT departments and the course categories their staff usually start with.
DEPARTMENT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "network": ("networks",),
    "operations": ("systems", "networks"),
    "applications": ("programming", "data"),
    "data": ("data", "programming"),
    "security": ("networks", "systems"),
    "helpdesk": ("systems", "networks"),
    "ai": ("ai", "data"),
}

CATEGORY_TITLES = i18n.load(__package__)["categories"].pairs()


@dataclass(frozen=True)
class LearnerProfile:
    department: str | None = None
    categories: tuple[str, ...] = ()

    def interests(self) -> tuple[str, ...]:
        """Categories the learner chose, else those of their department, else none (= all)."""
        if self.categories:
            return tuple(c for c in self.categories if c in CATEGORIES)
        return DEPARTMENT_CATEGORIES.get((self.department or "").strip().lower(), ())


def category_title(category: str) -> tuple[str, str]:
    return CATEGORY_TITLES.get(category, (category, category))
