"""The readiness question bank: written for cyberhub, in our own words.

It is organised the way national ransomware readiness self-assessments are — ten practice
areas, each with basic, intermediate and advanced tiers — but every question and every
piece of guidance here is our own. A question has a stable id (``BK-B-1``: area code,
tier letter, number), its text, guidance (why it matters and what a "yes" looks like)
and an impact weight from 1 (helpful) to 3 (among the first things an attacker exploits
or the last thing that saves you).

The bank is versioned. An assessment stores the version it was answered against and is
always scored with that version, so that changing the bank never rewrites history.
Strings are marked with ``N_`` for extraction and translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AREAS", "BANKS", "BANK_VERSION", "Area", "Bank", "Question", "Tier", "bank"]

BANK_VERSION = "2026.1"


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return text


class Tier(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def rank(self) -> int:
        return TIER_ORDER.index(self)

    @property
    def letter(self) -> str:
        return self.value[0].upper()


TIER_ORDER = (Tier.BASIC, Tier.INTERMEDIATE, Tier.ADVANCED)
TIER_LABELS = {Tier.BASIC: N_("Basic"), Tier.INTERMEDIATE: N_("Intermediate"),
               Tier.ADVANCED: N_("Advanced")}


@dataclass(frozen=True)
class Area:
    code: str
    slug: str
    name: str
    summary: str


@dataclass(frozen=True)
class Question:
    id: str
    area: str  # the area's code
    tier: Tier
    weight: int  # 1..3
    text: str
    guidance: str


@dataclass(frozen=True)
class Bank:
    version: str
    areas: tuple[Area, ...]
    questions: tuple[Question, ...]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def area(self, slug_or_code: str) -> Area | None:
        return next((a for a in self.areas if slug_or_code in (a.slug, a.code)), None)

    def of_area(self, code: str) -> list[Question]:
        return [q for q in self.questions if q.area == code]


AREAS = (
    Area("BK", "backups", N_("Backups"),
         N_("Copies of your data and systems that an attacker cannot reach, and that you "
            "know you can restore.")),
    Area("BF", "filtering", N_("Browser and DNS filtering"),
         N_("Stopping users' browsers and your systems from reaching malicious sites.")),
    Area("PH", "phishing", N_("Phishing prevention"),
         N_("Keeping malicious e-mail out of inboxes and helping people spot what gets "
            "through.")),
    Area("PM", "perimeter", N_("Perimeter monitoring"),
         N_("Knowing what is exposed to the internet and noticing when someone probes "
            "or gets in.")),
    Area("AM", "assets", N_("Asset management"),
         N_("Knowing what hardware, software and data you have, and who is responsible "
            "for each.")),
    Area("PT", "patching", N_("Patching"),
         N_("Closing known vulnerabilities before they are exploited.")),
    Area("UA", "access", N_("User and access management"),
         N_("Giving people only the access they need and making stolen passwords "
            "useless.")),
    Area("AL", "allowlisting", N_("Application allow-listing"),
         N_("Letting only approved software run, so that a dropped payload does not.")),
    Area("IR", "response", N_("Incident response"),
         N_("Being ready to act quickly and in order when ransomware strikes.")),
    Area("RM", "risk", N_("Risk management"),
         N_("Deciding, owning and funding what you do about ransomware risk.")),
)

B, I, A = Tier.BASIC, Tier.INTERMEDIATE, Tier.ADVANCED  # noqa: E741 - tier letters

_QUESTIONS: tuple[tuple[str, Tier, int, str, str], ...] = (
    # ---------------------------------------------------------------- backups
    ("BK-B-1", B, 3, N_("Do you back up the data and systems you need to keep operating?"),
     N_("Without a recent copy, paying or rebuilding from scratch are the only options. "
        "Yes means every business-critical system and data set is on a written backup "
        "schedule that is actually running.")),
    ("BK-B-2", B, 3, N_("Is at least one backup copy kept offline or immutable, out of reach "
                        "of your normal administrator accounts?"),
     N_("Ransomware operators look for backups first and delete or encrypt them. Yes "
        "means a copy that cannot be changed or deleted from the production network, even "
        "with domain administrator rights (offline media, write-once storage, or a "
        "separate tenant).")),
    ("BK-B-3", B, 2, N_("Have you restored data from backup in the last twelve months to "
                        "prove that it works?"),
     N_("Backups that were never restored often fail when needed. Yes means a recorded "
        "restore test with the time it took and what went wrong.")),
    ("BK-I-1", I, 2, N_("Are backup systems managed with separate credentials that are not "
                        "part of your everyday directory?"),
     N_("If the attacker owns your directory, they own anything that trusts it. Yes "
        "means backup consoles use their own accounts, with multi-factor sign-in, not "
        "joined to the main domain.")),
    ("BK-I-2", I, 2, N_("Do you know how long a full restore of your most important "
                        "systems would take, and is that acceptable to the business?"),
     N_("Restore time decides how long you are down. Yes means recovery time objectives "
        "agreed with the business and checked against a timed test.")),
    ("BK-I-3", I, 1, N_("Are backups monitored, with failures and unexpected deletions "
                        "raising an alert someone acts on?"),
     N_("Silent backup failures and mass deletions are early signs of an attack. Yes "
        "means alerts go to a named person or team and are reviewed.")),
    ("BK-A-1", A, 2, N_("Have you rehearsed rebuilding your core infrastructure (directory, "
                        "identity, network services) from backup in an isolated "
                        "environment?"),
     N_("After a full compromise you rebuild, not just restore files. Yes means a "
        "rehearsal of a clean rebuild in a separate environment in the last two years.")),
    ("BK-A-2", A, 1, N_("Are backups checked for malware and tampering before they are "
                        "restored into production?"),
     N_("Restoring an infected image reinfects you. Yes means a documented step that "
        "scans or validates restore points before they go back into service.")),
    # ---------------------------------------------------------------- filtering
    ("BF-B-1", B, 2, N_("Do your devices resolve names through a protective DNS service "
                        "that blocks known malicious domains?"),
     N_("Most infections contact known bad domains to fetch payloads or take orders. Yes "
        "means every office and remote device uses a filtering resolver, and others are "
        "blocked.")),
    ("BF-B-2", B, 2, N_("Are browsers kept up to date automatically on every device?"),
     N_("The browser is the most exposed program on a desk. Yes means automatic updates "
        "enforced centrally, with out-of-date browsers reported.")),
    ("BF-B-3", B, 1, N_("Do browsers warn about or block known malicious and phishing "
                        "sites?"),
     N_("Built-in reputation checks stop many drive-by downloads. Yes means the feature "
        "is switched on by policy and users cannot turn it off.")),
    ("BF-I-1", I, 2, N_("Is web traffic filtered by category, blocking newly registered, "
                        "uncategorised and risky sites?"),
     N_("Attack infrastructure is often only days old. Yes means a web filter or secure "
        "gateway blocks new and risky categories for all users, including remote ones.")),
    ("BF-I-2", I, 1, N_("Are browser extensions restricted to an approved list?"),
     N_("Extensions can read everything a user sees. Yes means a central policy allows "
        "only reviewed extensions.")),
    ("BF-I-3", I, 1, N_("Are DNS and web filtering logs kept and searchable for at least "
                        "90 days?"),
     N_("Investigators need to see which machine contacted what, and when. Yes means "
        "logs are centralised and someone knows how to query them.")),
    ("BF-A-1", A, 1, N_("Are servers prevented from reaching the internet except to the "
                        "destinations they need?"),
     N_("Servers rarely need open internet access, and attackers use it to pull tools "
        "and push stolen data. Yes means default-deny outbound rules for servers with "
        "reviewed exceptions.")),
    ("BF-A-2", A, 1, N_("Do you feed threat intelligence (for example from this hub) into "
                        "your DNS and web blocklists?"),
     N_("Shared indicators block infrastructure others have already seen. Yes means an "
        "automatic, regular update of blocklists from intelligence sources.")),
    # ---------------------------------------------------------------- phishing
    ("PH-B-1", B, 3, N_("Is incoming e-mail scanned for malicious attachments and links "
                        "before it reaches users?"),
     N_("E-mail remains a leading way in. Yes means every mailbox is behind a filter that "
        "checks attachments and rewrites or checks links.")),
    ("PH-B-2", B, 2, N_("Do staff get phishing awareness training at least once a year?"),
     N_("People who know the signs report more and click less. Yes means training for "
        "everyone, including new joiners, with completion tracked.")),
    ("PH-B-3", B, 2, N_("Can staff report a suspicious message easily, and does someone "
                        "act on the reports?"),
     N_("One quick report can protect everyone else who got the same message. Yes means "
        "a report button or address, and reports are triaged within a working day.")),
    ("PH-I-1", I, 2, N_("Have you published SPF, DKIM and DMARC records with an enforcing "
                        "DMARC policy for your domains?"),
     N_("These make it harder to impersonate your domain to your own staff and partners. "
        "Yes means DMARC at quarantine or reject for every domain that sends mail.")),
    ("PH-I-2", I, 2, N_("Are macros in office documents from the internet blocked?"),
     N_("Macro-laden documents have long been a favourite first stage. Yes means a "
        "central policy blocks macros in files that came from outside.")),
    ("PH-I-3", I, 1, N_("Do you run phishing simulations and follow up with those who fall "
                        "for them?"),
     N_("Practice makes people alert. Yes means regular, announced-in-principle "
        "simulations with supportive follow-up, not punishment.")),
    ("PH-A-1", A, 1, N_("Are attachments opened in an isolated sandbox before delivery?"),
     N_("Detonation catches new malware that signatures miss. Yes means risky attachment "
        "types are analysed in a sandbox before users receive them.")),
    ("PH-A-2", A, 1, N_("Are messages from outside clearly marked, and look-alike domains of "
                        "yours monitored?"),
     N_("Look-alike domains are registered for targeted fraud. Yes means an external "
        "banner and a watch on new domains resembling yours.")),
    # ---------------------------------------------------------------- perimeter
    ("PM-B-1", B, 3, N_("Do you know every service you expose to the internet?"),
     N_("You cannot protect what you do not know is open. Yes means an up-to-date list of "
        "internet-facing services, checked against an external scan.")),
    ("PM-B-2", B, 3, N_("Is remote access (RDP, SSH, VPN, remote support tools) closed to "
                        "the internet unless it goes through a gateway with multi-factor "
                        "sign-in?"),
     N_("Exposed remote desktops and VPNs without a second factor are among the most "
        "common ways ransomware gets in. Yes means no directly exposed remote desktop and "
        "every remote access path requires a second factor.")),
    ("PM-B-3", B, 2, N_("Are firewall and VPN logs collected and kept?"),
     N_("Without logs you cannot tell when or how someone got in. Yes means perimeter "
        "logs kept centrally for at least 90 days.")),
    ("PM-I-1", I, 2, N_("Does someone review alerts from your perimeter devices every "
                        "day?"),
     N_("Logs help only if someone looks. Yes means alerts reach a person or a managed "
        "service with a defined response time.")),
    ("PM-I-2", I, 2, N_("Do you scan your own internet-facing addresses for "
                        "vulnerabilities at least monthly?"),
     N_("Attackers scan you constantly; you should see what they see. Yes means an "
        "automated external scan with findings tracked to closure.")),
    ("PM-I-3", I, 1, N_("Do you watch for large or unusual outbound transfers?"),
     N_("Most ransomware crews now steal data before encrypting. Yes means alerts on "
        "unusual outbound volumes or destinations.")),
    ("PM-A-1", A, 2, N_("Is your network segmented so that a compromised workstation cannot "
                        "reach servers and backups directly?"),
     N_("Flat networks let ransomware spread in minutes. Yes means enforced zones with "
        "rules between them, and management interfaces reachable only from admin "
        "workstations.")),
    ("PM-A-2", A, 1, N_("Do you have around-the-clock monitoring with the authority to "
                        "isolate systems?"),
     N_("Many attacks are launched at night or at weekends. Yes means a 24/7 team, in "
        "house or contracted, that can contain an attack without waiting for office "
        "hours.")),
    # ---------------------------------------------------------------- assets
    ("AM-B-1", B, 2, N_("Do you keep an inventory of your devices and servers, including "
                        "cloud ones?"),
     N_("Forgotten machines go unpatched and unmonitored. Yes means an inventory that is "
        "updated automatically or checked at least quarterly.")),
    ("AM-B-2", B, 2, N_("Do you know which systems and data are critical to keep the "
                        "business running?"),
     N_("Priorities in a crisis must be set before it. Yes means a written list of "
        "critical services and the systems they depend on.")),
    ("AM-B-3", B, 1, N_("Does every system have a named owner?"),
     N_("Someone must decide about patching, access and recovery. Yes means each "
        "inventory entry names a responsible person or team.")),
    ("AM-I-1", I, 2, N_("Do you keep a software inventory, with versions, for your "
                        "devices?"),
     N_("When a vulnerability is announced you must find every affected install fast. "
        "Yes means an automatically collected list of installed software and versions.")),
    ("AM-I-2", I, 1, N_("Are unknown devices detected when they join your network?"),
     N_("Unmanaged devices are a common foothold. Yes means alerts or blocking when an "
        "unknown device connects.")),
    ("AM-I-3", I, 1, N_("Do you know where your sensitive data is stored?"),
     N_("Attackers threaten to publish what they steal. Yes means a map of where "
        "personal, financial and confidential data live.")),
    ("AM-A-1", A, 1, N_("Are the dependencies between your critical services documented, "
                        "so that you know the order in which to restore them?"),
     N_("Restoring in the wrong order wastes days. Yes means a dependency map used in "
        "recovery plans.")),
    ("AM-A-2", A, 1, N_("Are systems that reached end of life isolated or replaced on a "
                        "plan?"),
     N_("Unsupported systems will not get fixes. Yes means a list of them with isolation "
        "in place and a replacement date.")),
    # ---------------------------------------------------------------- patching
    ("PT-B-1", B, 3, N_("Are security updates for internet-facing systems applied within "
                        "days of release when the flaw is being exploited?"),
     N_("Known exploited flaws in VPNs, firewalls and file-transfer tools are attacked "
        "within days. Yes means a rule, followed in practice, to patch or mitigate those "
        "within a week at most.")),
    ("PT-B-2", B, 2, N_("Are operating systems updated automatically or on a regular "
                        "schedule?"),
     N_("Most breaches use flaws that already have a fix. Yes means a monthly or faster "
        "cycle for every device, with exceptions recorded.")),
    ("PT-B-3", B, 2, N_("Do you follow the lists of actively exploited vulnerabilities "
                        "published by national authorities?"),
     N_("These lists tell you what to patch first. Yes means someone checks them weekly "
        "and acts on matches.")),
    ("PT-I-1", I, 2, N_("Do you measure how long patches take and report it to "
                        "management?"),
     N_("What is measured gets done. Yes means patch-age figures reviewed at least "
        "monthly.")),
    ("PT-I-2", I, 1, N_("Are third-party applications (PDF readers, archivers, runtimes) "
                        "patched as well as the operating system?"),
     N_("Attackers go for whatever is out of date. Yes means third-party software is "
        "covered by the same process.")),
    ("PT-I-3", I, 1, N_("Can you apply an emergency patch to all devices within 48 "
                        "hours?"),
     N_("Some flaws are exploited at scale within hours. Yes means a tested fast track "
        "for emergencies.")),
    ("PT-A-1", A, 1, N_("Are firmware and network equipment (switches, storage, hypervisors) "
                        "kept up to date?"),
     N_("Hypervisors and storage are prized targets because one hit encrypts many "
        "systems. Yes means they are in the patch process with their own schedule.")),
    ("PT-A-2", A, 1, N_("Do you test patches on a representative group before rolling them "
                        "out widely?"),
     N_("Testing keeps speed without breaking the business. Yes means a pilot ring that "
        "gets updates first.")),
    # ---------------------------------------------------------------- access
    ("UA-B-1", B, 3, N_("Is multi-factor sign-in required for e-mail, remote access and "
                        "administrator accounts?"),
     N_("A second factor makes stolen passwords far less useful. Yes means no exceptions "
        "for these three, including service providers.")),
    ("UA-B-2", B, 3, N_("Do administrators use separate accounts for administration and "
                        "for everyday work?"),
     N_("An admin reading e-mail with full rights hands the attacker everything. Yes "
        "means separate admin accounts that never browse or read mail.")),
    ("UA-B-3", B, 2, N_("Are accounts of people who leave disabled promptly?"),
     N_("Old accounts are quiet ways in. Yes means disabled on the last working day, "
        "with a regular check for leftovers.")),
    ("UA-I-1", I, 2, N_("Is the number of administrator accounts kept small and reviewed "
                        "at least twice a year?"),
     N_("Fewer privileged accounts means fewer to steal. Yes means a reviewed list with "
        "a reason for each.")),
    ("UA-I-2", I, 2, N_("Is each local administrator password unique per machine?"),
     N_("One shared local password lets an attacker walk across every device. Yes means "
        "a tool that sets and rotates unique local admin passwords.")),
    ("UA-I-3", I, 1, N_("Are service accounts inventoried, with strong passwords and only "
                        "the rights they need?"),
     N_("Service accounts often hold broad rights and never change password. Yes means "
        "an inventory with owners, rights and rotation.")),
    ("UA-A-1", A, 2, N_("Is administrative access granted just in time, from dedicated "
                        "admin workstations?"),
     N_("Standing privilege is what ransomware crews harvest. Yes means elevation for a "
        "limited time, from hardened machines only.")),
    ("UA-A-2", A, 1, N_("Are sign-ins monitored for signs of misuse (impossible travel, "
                        "password spraying, new admin rights)?"),
     N_("Stolen credentials look like normal users unless you watch for anomalies. Yes "
        "means alerts on risky sign-ins and privilege changes.")),
    # ---------------------------------------------------------------- allow-listing
    ("AL-B-1", B, 2, N_("Are users prevented from installing software themselves?"),
     N_("If users cannot install, neither can much of the malware they run. Yes means "
        "standard users without install rights, with a process for requests.")),
    ("AL-B-2", B, 2, N_("Is endpoint protection installed, up to date and centrally "
                        "managed on every device?"),
     N_("It blocks known malware and gives visibility. Yes means coverage checked "
        "against the inventory and tamper protection on.")),
    ("AL-B-3", B, 1, N_("Are scripts and programs blocked from running in user-writable "
                        "folders such as downloads and temporary folders?"),
     N_("Payloads are usually dropped where users can write. Yes means a policy blocking "
        "execution there.")),
    ("AL-I-1", I, 2, N_("Is there an allow-list of approved applications on servers?"),
     N_("Servers run a stable set of software, which makes allow-listing practical. Yes "
        "means only approved programs may run on servers, enforced, not only audited.")),
    ("AL-I-2", I, 1, N_("Are remote administration and remote support tools limited to an "
                        "approved set?"),
     N_("Attackers install legitimate remote tools to stay in. Yes means unapproved "
        "remote tools are blocked and their use is alerted.")),
    ("AL-I-3", I, 1, N_("Is the use of scripting tools (PowerShell and similar) restricted "
                        "and logged?"),
     N_("Scripting is how most attacks move and spread. Yes means constrained modes for "
        "ordinary users and script logging sent to your central logs.")),
    ("AL-A-1", A, 2, N_("Is application allow-listing enforced on workstations?"),
     N_("The strongest defence against an unknown payload is that it simply does not "
        "run. Yes means enforcement on all workstations, with a managed exception "
        "process.")),
    ("AL-A-2", A, 1, N_("Is endpoint detection and response in place, with someone "
                        "watching it?"),
     N_("Behaviour-based detection catches hands-on attackers. Yes means EDR on every "
        "device and alerts handled around the clock.")),
    # ---------------------------------------------------------------- response
    ("IR-B-1", B, 3, N_("Do you have a written plan for what to do if ransomware strikes, "
                        "with who decides what?"),
     N_("In the first hours, confusion costs more than the malware. Yes means a plan that "
        "names decision makers, first steps and how to reach them when e-mail is down.")),
    ("IR-B-2", B, 2, N_("Do you know whom to call outside: police, the national CERT, your "
                        "insurer, an incident response provider?"),
     N_("Outside help is faster when the numbers and contracts are ready. Yes means "
        "current contacts, printed and offline, and any retainer in place.")),
    ("IR-B-3", B, 2, N_("Is the plan available offline, on paper or on a device outside "
                        "your network?"),
     N_("A plan stored on the encrypted file server is no plan. Yes means copies held "
        "where they survive a full outage.")),
    ("IR-I-1", I, 2, N_("Have you run a tabletop exercise of a ransomware attack in the "
                        "last year?"),
     N_("Exercises reveal gaps before an attacker does. Yes means an exercise with "
        "management and technical staff, and actions from it followed up.")),
    ("IR-I-2", I, 2, N_("Do you know your legal duties to notify (regulators, data "
                        "protection authority, customers) and their deadlines?"),
     N_("Deadlines can be as short as 24 hours. Yes means the duties and templates are in "
        "the plan.")),
    ("IR-I-3", I, 1, N_("Have you decided in advance how you would approach a ransom "
                        "demand?"),
     N_("Deciding under pressure is worse. Yes means an agreed position, the legal "
        "constraints, and who would be consulted.")),
    ("IR-A-1", A, 1, N_("Can you isolate a site, a network segment or all internet access "
                        "within an hour?"),
     N_("Fast containment limits the damage. Yes means tested procedures and the "
        "authority to pull the plug.")),
    ("IR-A-2", A, 1, N_("Do you share indicators and lessons from incidents with your "
                        "community (for example through this hub)?"),
     N_("What hit you may be about to hit others. Yes means a habit of sharing, at the "
        "right marking, after each incident.")),
    # ---------------------------------------------------------------- risk
    ("RM-B-1", B, 2, N_("Does a member of senior management own ransomware risk?"),
     N_("Ownership brings budget and decisions. Yes means a named executive who reports "
        "on it to the board or equivalent.")),
    ("RM-B-2", B, 2, N_("Have you assessed what a week-long outage of your critical "
                        "systems would cost?"),
     N_("Knowing the cost of an outage justifies the cost of prevention. Yes means an "
        "estimate agreed with the business.")),
    ("RM-B-3", B, 1, N_("Do you review this readiness assessment at least once a year?"),
     N_("Threats and your systems change. Yes means the assessment is repeated and "
        "results compared.")),
    ("RM-I-1", I, 2, N_("Are your suppliers with access to your systems held to security "
                        "requirements?"),
     N_("Managed service providers and software suppliers have been the way in for "
        "large attacks. Yes means contracts with security requirements and a review of "
        "the riskiest suppliers.")),
    ("RM-I-2", I, 1, N_("Have you checked whether your cyber insurance, if any, covers "
                        "ransomware and what it requires of you?"),
     N_("Policies exclude or condition cover. Yes means the terms are known and the "
        "required controls are in place.")),
    ("RM-I-3", I, 1, N_("Is there a budgeted plan to close the gaps this assessment "
                        "finds?"),
     N_("An assessment without follow-up changes nothing. Yes means actions with owners, "
        "dates and funding.")),
    ("RM-A-1", A, 1, N_("Do you test your defences with independent penetration tests or "
                        "red-team exercises?"),
     N_("Independent testing shows what an attacker would really find. Yes means a test "
        "in the last year, with findings tracked.")),
    ("RM-A-2", A, 1, N_("Are ransomware risk indicators reported to management on a regular "
                        "schedule?"),
     N_("Regular figures keep attention on the risk between incidents. Yes means a "
        "quarterly report with a few agreed measures.")),
)


def _build() -> Bank:
    questions = tuple(Question(id=i, area=i.split("-")[0], tier=t, weight=w, text=text,
                               guidance=g) for i, t, w, text, g in _QUESTIONS)
    return Bank(version=BANK_VERSION, areas=AREAS, questions=questions)


BANKS: dict[str, Bank] = {BANK_VERSION: _build()}


def bank(version: str = BANK_VERSION) -> Bank:
    """The bank of one version (the current one by default)."""
    return BANKS[version]
