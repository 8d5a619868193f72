"""Intelligence packages: vetted objects assembled about a target, reviewed by a
colleague and released to law-enforcement recipients."""
