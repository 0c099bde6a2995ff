"""`copbot demo` plays every scene to the end and tells the story it should."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

from bot.config import Settings
from bot.demo import Transcript, run_demo


def files_in(folder: Path) -> tuple[str, list[str]]:
    """The folder as the demo names it, and the files under it, as paths relative to it."""
    return str(folder.resolve()), sorted(
        str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()
    )


async def test_the_demo_plays_to_the_end(tmp_path: Path) -> None:
    lines: list[str] = []
    settings = Settings.from_env({})
    code = await run_demo(settings, keep_dir=str(tmp_path), transcript=Transcript(lines.append))
    text = "\n".join(lines)
    assert code == 0
    assert "Only moderators can use this command." in text
    assert "Roles saved" in text and "@Moderators" in text
    assert "Organisations: 9 added, 0 updated, 0 unchanged." in text
    assert "There is already an organisation called **Eau Vive**" in text
    assert "You left **SNV** and joined **Akvo**." in text
    assert "Belongs to the CoP: On their own and through IRC WASH" in text
    summary = [line.split() for line in lines if line.strip().startswith(("IRC WASH", "Akvo"))]
    assert ["IRC", "WASH", "1", "1", "1", "0", "1", "0"] in summary  # a reply with a link
    assert ["Akvo", "1", "1", "1", "0", "0", "0"] in summary
    assert "In the contribution log:" in text  # /privacy show

    cafe = text[text.index("── A World Café") : text.index("── Themed questions")]
    # the register gets every organisation, then the café opens for sign-up with its buttons
    assert "Organisations: 6 added, 0 updated, 0 unchanged." in cafe
    assert "Members: 0 added, 30 updated, 0 unchanged." in cafe
    assert "is open for sign-up" in cafe and "[Join] [Leave] [Host a table]" in cafe
    assert "24 members from 16 organisations sign up" in cafe
    assert "You are signed up for **Sharing what we learn" in cafe
    assert "You host table 1 of **Sharing what we learn" in cafe
    assert "The sign-up message now says **24 participants · 4 hosts**." in cafe
    # the seating figures, each next to its bound, and the preview file
    for figure in (
        "Pairs meeting twice",
        "Same-organisation pairs",
        "Tables missing a stakeholder group",
    ):
        assert re.search(figure + r": \*\*\d+\*\* \(cannot go below \d+\)", cafe), figure
    assert "📎 seating-1.txt" in cafe
    # three rounds, four tables each; the hosts stay
    assert "has started: round 1 is open" in cafe
    assert "Round 2 of **Sharing" in cafe and "Round 3 of **Sharing" in cafe
    for round_number in (1, 2, 3):
        assert f"#cafe › R{round_number} · Table" in cafe
    assert "The 4 threads of round 1 are locked and archived: still there" in " ".join(cafe.split())
    assert len(re.findall(r"Table \d: host [^;]+ stays;", cafe)) == 8  # rounds 2 and 3
    assert "moved (!)" not in cafe
    # notes by command and by the button's form, an insight, the tablecloth carried on
    assert "Added to the tablecloth of table 1 (round 1)." in cafe
    assert "copbot opens a form: “Add to the tablecloth”" in cafe
    assert "Added to the tablecloth of table 2 (round 2)." in cafe
    assert "Added to the tablecloth of table 3 (round 3)." in cafe
    assert "clicks [Call the facilitator]" in cafe and "asks for\n      the facilitator" in cafe
    assert "Marked for the harvest of **Sharing" in cafe
    round_two = cafe[cafe.index("## The tablecloth so far · Table 1") :]
    assert "Knowledge leaves with projects and people" in round_two.split("carries the idea")[0]
    # the harvest, its file and the reflection thread
    assert "That was the last round: the harvest" in cafe
    assert "# Harvest · Sharing what we learn across the learning alliance" in cafe
    assert "3 rounds · 4 tables" in cafe and "### Round 1 · Table 1" in cafe
    assert re.search(
        r"as \d+ messages, the last with the whole harvest as a file,\s+harvest-1-", cafe
    )
    assert "Reflection · Sharing what we learn" in cafe
    assert "(none!)" not in cafe

    prompts = text[text.index("── Themed questions") : text.index("── Exports for coordinators")]
    flat = " ".join(prompts.split())  # notes wrap at any word
    # the review channel, two questions added, one submitted with credit and approved by button
    assert "Submitted questions now wait for review in #moderation" in prompts
    assert "Added question #1 to **Learning together**" in prompts
    assert "Added question #2 to **Learning together**" in prompts
    assert "question #3 waits for a moderator's review" in prompts
    assert "Question #3 · Waiting for review" in prompts and "[Approve] [Reject]" in prompts
    assert "Credit when posted: yes" in prompts
    assert "Nkosi Dlamini clicks [Approve]" in prompts and "Question #3 is approved." in prompts
    assert "✉ copbot to Daniel Kimani, by direct message:" in prompts
    assert "was approved and joins the rotation of **Learning" in prompts
    assert "now reads “Question #3 · Approved”, its buttons gone." in flat
    # the schedule and its five Monday dates in the community's time zone
    assert 'when:"weekly mon 09:00"' in prompts and "channel:#questions" in prompts
    assert "Schedule #1 saved" in prompts and "(Europe/Amsterdam)" in prompts
    assert len(re.findall(r"- Mon \d\d \w{3} \d{4}, 09:00 \(in \d+ \w+\)", prompts)) == 5
    assert re.search(r"\*\*#1\*\* Learning together in #questions: `weekly mon 09:00`", prompts)
    assert re.search(r"next: Mon \d\d \w{3} \d{4}, 09:00", prompts)
    # the firing brought forward posts a question with its thread; the schedule keeps Monday
    assert "so it has the bot post schedule #1's question now" in flat
    assert "#questions  copbot posted:\n      💬 Learning together" in prompts
    assert "Answer in the thread below." in prompts
    assert re.search(r"its next question goes out on Mon \d\d \w{3} \d{4}, 09:00\.", flat)
    assert len(re.findall(r"^#questions › .+: ", prompts, re.MULTILINE)) == 3
    # the three answers are in the contribution log as answers, one per organisation
    assert "3 new answers, by organisation:" in flat
    table = prompts[prompts.index("  organisation ") :].strip().splitlines()[1:]
    assert [row.split()[-1] for row in table] == ["1", "1", "1"], table
    assert "(!)" not in prompts

    exports = text[text.index("── Exports for coordinators") : text.index("── Insights")]
    # a member is refused; a coordinator gets the contributions with Sofia named (she chose
    # it) and pseudonyms for the rest, then everything as one zip with its codebook
    assert "Only coordinators can use this command." in exports
    assert "📎 contributions.csv" in exports and "📎 all.zip" in exports
    shown = exports[exports.index("  author ") : exports.index("Then everything")]
    authors = [line.split()[0] for line in shown.splitlines()[1:] if line.strip()]
    assert len(authors) == 5 and all(re.fullmatch(r"m-[0-9a-f]{12}|Sofia", a) for a in authors)
    assert "Sofia" in authors and len([a for a in authors if a.startswith("m-")]) >= 3
    assert "codebook.csv, README.txt." in " ".join(exports.split())
    assert re.search(r"contributions\.csv\s+contribution\s+id\s+The message's key", exports)
    assert "**all** by João Mendes" in exports and "**contributions** by João Mendes" in exports
    assert not re.search(r"\d{17,20}", exports)  # no Discord id anywhere in the scene

    insights = text[text.index("── Insights") : text.index("── Privacy")]
    # a member's own figures, the community's with charts, and the report, saved and named
    assert "Your figures · " in insights and "**Given**: 2" in insights
    assert "Members: 34" in insights and "Inequality (Gini): " in insights
    assert "📎 lorenz.png" in insights and "📎 network.png" in insights
    assert "The demo saves the 5 charts and the report" in " ".join(insights.split())
    assert not re.search(r"\d{17,20}", insights)

    privacy = text[text.index("── Privacy") : text.index("── Which channels count")]
    # opting out asks first, deletes on Confirm; opting in; forgetting asks about the texts
    assert "Lena Vogel: /privacy optout" in privacy and "Stop logging you?" in privacy
    assert "Lena Vogel clicks [Confirm]" in privacy and "You are opted out" in privacy
    assert re.search(r"Deleted from the log: [1-9]\d* messages", privacy)  # she had spoken
    assert "You are logged again" in privacy
    assert "Peter Njoroge clicks [Forget me, keep my texts without my name]" in privacy
    assert "You are forgotten" in privacy

    tracking = text[text.index("── Which channels count") : text.index("── Roles that follow")]
    # once one channel is tracked, a new one is not logged until added; the backfill reads it
    assert "Tracked now: #general" in tracking
    assert "#resources  Grace Banda: " in tracking and "#resources  Yaw Boateng: " in tracking
    assert "/contributions backfill channel:#resources" in tracking
    assert "Backfill done" in tracking
    assert "Read 2 messages in #resources; 2 are members' contributions" in tracking

    roles = text[text.index("── Roles that follow") : text.index("── A café that comes back")]
    assert "Role sync is on" in roles
    assert "Kwame Mensah now has the roles: Level: Intermediate, Stakeholder: Government." in roles

    recurring = text[text.index("── A café that comes back") : text.index("── The end")]
    assert 'repeat:"monthly first tue 14:00"' in recurring
    assert "Café #2 **Monthly learning café** is open for sign-up" in recurring
    assert "(or it starts by itself at its time)." in recurring

    # /cafe status during the first café tells a traveller where to sit
    assert "Kwame Mensah: /cafe status" in cafe and "**Your table:** table " in cafe

    # plain words: none of the programmers' phrases of earlier versions is left
    flat_text = " ".join(text.split())
    for phrase in (
        "scheduler's fire",
        "the bound says",
        "a bound no seating",
        "the planner",
        "next alarm",
        "local Discord",
        "sqlite+aiosqlite",
        "counted in the database",
        "Markdown file",
        "no Discord id of a person",
        "unmodified",
        "/Add to harvest",
    ):
        assert phrase not in flat_text, phrase
    assert "Apps menu: Add to harvest, Share with linked platforms." in flat_text
    assert "(!)" not in text
    assert "Traceback" not in text and "error id" not in text.lower()

    # --keep keeps the database and every file the demo made, and the end lists each
    end = text[text.index("── The end") :]
    where, kept = files_in(tmp_path)
    assert f"Everything the demo made is kept in this folder:\n  {where}\n" in end
    listed = [line.strip() for line in end.splitlines() if line.startswith("    ")]
    assert sorted(listed) == kept  # every file listed exists, and nothing is left unlisted
    assert listed[0] == "demo.sqlite3"
    for name in (
        "spreadsheets/organisations.csv",
        "spreadsheets/more-organisations.csv",
        "spreadsheets/members.csv",
        "cafe/seating-1.txt",
        "exports/contributions.csv",
        "exports/all.zip",
        "insights/lorenz.png",
        "insights/activity.png",
        "insights/network.png",
        "insights/ei_organisation.png",
        "insights/level_matrix.png",
    ):
        assert name in listed, name
    for name in ("lorenz.png", "activity.png", "network.png", "ei_organisation.png"):
        assert (tmp_path / "insights" / name).read_bytes().startswith(b"\x89PNG")
    (report,) = (tmp_path / "insights").glob("insights-*.html")
    assert "IRC WASH" in report.read_text()
    (harvest,) = (tmp_path / "cafe").glob("harvest-1-*.md")
    assert harvest.read_text().startswith("# Harvest · Sharing what we learn")
    assert (tmp_path / "exports" / "contributions.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with zipfile.ZipFile(tmp_path / "exports" / "all.zip") as archive:
        assert "codebook.csv" in archive.namelist()
    assert "Tendai Moyo,WaterAid" in (tmp_path / "spreadsheets" / "members.csv").read_text()
    # the kept database is the one the demo played on: both cafés are in it
    with sqlite3.connect(tmp_path / "demo.sqlite3") as database:
        titles = [row[0] for row in database.execute("SELECT title FROM cafe ORDER BY id")]
    assert titles == [
        "Sharing what we learn across the learning alliance",
        "Monthly learning café",
        "Keeping rural water points running",  # in Kisumu's server: the alliance scene
    ]

    # the learning alliance: three servers linked with consent, a harvest up and across, a
    # response across, guidance down, and what crossed the links
    alliance = text[text.index("── A learning alliance") : text.index("── The end")]
    assert alliance.count("Both inboxes were told.") == 3
    assert "[Nakuru District WASH Platform] #inbox › Responses · Kisumu" in alliance
    assert "#alliance  copbot posted:\n      Harvest of Keeping rural water points running" in (
        alliance
    )
    assert "By: the café's tables" in alliance
    assert "By: a member of WaterAid" in alliance  # Nkosi did not choose /privacy visible
    assert (
        "Nakuru District Platform → Kisumu District Platform (horizontal): 0 items, 1 response"
        in alliance
    )
    assert "insights/alliance.png" in listed
