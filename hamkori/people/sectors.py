"""The standard sectors a person can represent; administrators add more as data."""

from typing import Any

SECTORS = [
    ("civil_society", "Ҷомеаи шаҳрвандӣ", "Гражданское общество", "Civil society"),
    ("elder", "Оқсақол", "Старейшина", "Elder"),
    ("religious_leader", "Пешвои динӣ", "Религиозный лидер", "Religious leader"),
    ("youth_leader", "Пешвои ҷавонон", "Молодёжный лидер", "Youth leader"),
    ("journalist", "Рӯзноманигор", "Журналист", "Journalist"),
    ("teacher", "Муаллим", "Учитель", "Teacher"),
    ("business_owner", "Соҳибкор", "Предприниматель", "Business owner"),
    ("womens_group", "Гурӯҳи занон", "Женская группа", "Women's group"),
    ("police", "Милитсия", "Милиция", "Police"),
    ("local_authority", "Мақомоти маҳаллӣ", "Местная власть", "Local authority"),
    ("labour_migrant", "Муҳоҷири меҳнатӣ ё баргашта", "Трудовой мигрант или вернувшийся", "Labour migrant or returnee"),
    ("ethnic_minority", "Ақаллияти миллӣ", "Этническое меньшинство", "Ethnic minority"),
    ("disability", "Шахси дорои маъюбӣ", "Человек с инвалидностью", "Person with disability"),
]


def seed_sectors(Sector: Any) -> None:  # a model class, historical or current
    """Create or update the standard sectors (the list in shared/design/domain.md)."""
    for order, (code, tg, ru, en) in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(
            code=code, defaults={"name_tg": tg, "name_ru": ru, "name_en": en, "order": order * 10}
        )
