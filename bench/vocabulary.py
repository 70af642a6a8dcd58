"""Words the dataset generator builds names, titles and places from (fixed lists: the output is seeded)."""

from __future__ import annotations

FIRST_NAMES = (
    "Maya", "Li", "Sam", "Aisha", "Noah", "Elena", "Kofi", "Priya", "Lucas", "Hana", "Omar", "Sofia", "Ravi",
    "Ingrid", "Mateo", "Yuki", "Amara", "Jonas", "Leila", "Diego", "Freya", "Tariq", "Chloe", "Kenji", "Zara",
    "Felix", "Nadia", "Arjun", "Mia", "Tomas", "Ava", "Emeka", "Lena", "Hugo", "Sana", "Oscar", "Ines", "Malik",
)
LAST_NAMES = (
    "Okafor", "Wei", "Rivera", "Khan", "Schmidt", "Rossi", "Mensah", "Patel", "Silva", "Tanaka", "Haddad",
    "Moreau", "Iyer", "Larsen", "Garcia", "Sato", "Adeyemi", "Weber", "Nasser", "Lopez", "Berg", "Aziz",
    "Dubois", "Mori", "Ahmed", "Novak", "Costa", "Reddy", "Jensen", "Fischer", "Kowalski", "Nguyen", "Ortiz",
)
TITLES = (
    "Yoga teacher", "Mindfulness coach", "Nutritionist", "Breathwork facilitator", "Reiki master",
    "Sound healer", "Massage therapist", "Acupuncturist", "Life coach", "Psychotherapist", "Hypnotherapist",
    "Tai chi instructor", "Qigong teacher", "Ayurvedic practitioner", "Somatic therapist", "Pilates instructor",
)
# (city, IANA zone, latitude, longitude): half-hour, 45-minute and date-line zones included.
CITIES = (
    ("London", "Europe/London", 51.5074, -0.1278), ("Paris", "Europe/Paris", 48.8566, 2.3522),
    ("Berlin", "Europe/Berlin", 52.52, 13.405), ("Lisbon", "Europe/Lisbon", 38.7223, -9.1393),
    ("New York", "America/New_York", 40.7128, -74.006), ("Los Angeles", "America/Los_Angeles", 34.0522, -118.2437),
    ("Toronto", "America/Toronto", 43.6532, -79.3832), ("Mexico City", "America/Mexico_City", 19.4326, -99.1332),
    ("São Paulo", "America/Sao_Paulo", -23.5505, -46.6333), ("Cape Town", "Africa/Johannesburg", -33.9249, 18.4241),
    ("Mumbai", "Asia/Kolkata", 19.076, 72.8777), ("Kathmandu", "Asia/Kathmandu", 27.7172, 85.324),
    ("Tokyo", "Asia/Tokyo", 35.6762, 139.6503), ("Sydney", "Australia/Sydney", -33.8688, 151.2093),
    ("Adelaide", "Australia/Adelaide", -34.9285, 138.6007), ("Auckland", "Pacific/Auckland", -36.8485, 174.7633),
)
ADJECTIVES = (
    "Gentle", "Restorative", "Deep", "Mindful", "Dynamic", "Guided", "Intensive", "Beginner", "Advanced",
    "Morning", "Evening", "Weekend", "Private", "Holistic", "Therapeutic", "Calming", "Energising", "Slow",
)
# modality slug → words that describe what a service of it is about.
PRACTICES = {
    "yoga": ("vinyasa yoga", "hatha yoga", "yin yoga", "yoga flow", "ashtanga yoga"),
    "pilates": ("mat pilates", "reformer pilates", "core pilates"),
    "meditation": ("meditation", "vipassana meditation", "loving kindness meditation"),
    "mindfulness": ("mindfulness practice", "stress reduction", "mindful living"),
    "breathwork": ("breathwork", "pranayama breathing", "holotropic breathwork"),
    "reiki": ("reiki healing", "reiki attunement", "distance reiki"),
    "sound-healing": ("sound bath", "singing bowls", "gong meditation"),
    "massage": ("deep tissue massage", "thai massage", "sports massage"),
    "acupuncture": ("acupuncture", "cupping therapy", "acupressure"),
    "nutrition-coaching": ("nutrition consultation", "plant based nutrition", "gut health coaching"),
    "life-coaching": ("life coaching", "career coaching", "confidence coaching"),
    "psychotherapy": ("psychotherapy", "anxiety counselling", "grief counselling"),
    "hypnotherapy": ("hypnotherapy", "sleep hypnosis", "smoking cessation hypnotherapy"),
    "tai-chi": ("tai chi", "tai chi for balance", "yang style tai chi"),
    "qigong": ("qigong", "zhan zhuang standing qigong", "medical qigong"),
    "ayurveda": ("ayurvedic consultation", "dosha balancing", "abhyanga oil massage"),
    "somatic-therapy": ("somatic experiencing", "trauma release", "body awareness therapy"),
}
SUFFIXES = {
    "session": ("1:1 session", "private session", "consultation", "coaching call", ""),
    "workshop": ("workshop", "masterclass", "group class", "circle"),
    "course": ("course", "eight week programme", "foundation course"),
    "package": ("starter package", "wellbeing package", "discovery package"),
    "bundle": ("10 session pass", "5 class pass", "monthly pass"),
}
AUDIENCES = ("for beginners", "for athletes", "for busy professionals", "for seniors", "for parents", "online",
             "in the park", "for better sleep", "for back pain", "for anxiety", "")
STREAM_TOPICS = ("Five minute", "Daily", "Introduction to", "The science of", "A guided", "Sunday", "Quick")
