"""What each diagnostic code means, an example that triggers it and how to fix it.

``gen explain CODE`` prints one entry, ``gen explain`` lists every code, and README's table
of codes is `codes_table`. The meaning of a code is its one line in `diagnostics.CODES`;
this module adds, for each code, an example in the words of the people who meet it (a
programme officer, an applicant, a reviewer), the fix, and a ``trigger``: how to make the
example call of gen's repository (``dossiers/``) report the code, which the tests walk.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from gen_cli.diagnostics import CODES
from gen_cli.errors import GenError

# --- Triggers: how to make the example call report a code -----------------------------------


@dataclass(frozen=True)
class Edit:
    """Replace the one occurrence of ``old`` by ``new`` in a file of the example call."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class NewFile:
    """Write a file (bytes for a file that is not UTF-8 text) in the example call."""

    path: str
    content: str | bytes


@dataclass(frozen=True)
class Move:
    """Move a file of the example call (making the folder it goes to)."""

    path: str
    to: str


@dataclass(frozen=True)
class Copy:
    """Copy a file of the example call."""

    path: str
    to: str


@dataclass(frozen=True)
class Recipe:
    """A situation that plain edits cannot make: a git history, a sealed file, a link.

    The test suite implements each recipe by its name (tests/test_explain.py).
    """

    name: str
    what: str


Step = Edit | NewFile | Move | Copy | Recipe


@dataclass(frozen=True)
class Explanation:
    """What ``gen explain`` says about a code beyond its one-line meaning.

    Attributes:
        example: a short excerpt of a file (YAML, with comments) or a situation, in words.
        fix: what to change, in plain words.
        trigger: the steps that make the example call report the code (none: it does as it is).
    """

    example: str
    fix: str
    trigger: tuple[Step, ...]


# --- Files of the example call the triggers change ------------------------------------------

CALL = "call.yaml"
#: A dossier of a round that is scored but not closed: changing it stops nothing else.
DOSSIER = "2022Q1/passerelle-entreprises-saint-denis.yaml"
#: A dossier of the round still open (2022Q2), whose reviews are sealed.
OPEN_DOSSIER = "2022Q2/mobilite-numerique-brest.yaml"
#: A dossier of a closed round.
CLOSED_DOSSIER = "2021Q3/lovelace.yaml"
REVIEW = "2022Q1/reviews/bruno-keller.yaml"
ASSIGNMENTS = "2022Q1/assignments.yaml"
JURY = "2022Q1/jury.yaml"
#: The first evaluation of REVIEW.
_GRADES = (
    "  atelier-de-la-donnee-lille:\n"
    "    grades:\n"
    "      pertinence: 4\n"
    "      innovation: 4\n"
    "      impact: 4\n"
    "      faisabilite: 4\n"
    "      partenariats: 3\n"
    "    comment: Partenariats convaincants, budget réaliste.\n"
)
#: Where a dossier of 2022Q2 is graded, in a review file of that round.
_REVIEW_2022Q2 = (
    "round: 2022Q2\n"
    "evaluations:\n"
    "  mobilite-numerique-brest:\n"
    "    grades:\n"
    "      pertinence: 4\n"
    "      innovation: 3\n"
    "      impact: 4\n"
    "      faisabilite: 3\n"
    "      partenariats: 2\n"
)


def _jury(
    decision: str, *, round_id: str = "2022Q1", present: str = "presidente, representante-etat"
) -> str:
    """A deliberation file for round 2022Q1 with one decision."""
    return f"round: {round_id}\ndate: 2022-05-10\npresent: [{present}]\ndecisions:\n{decision}"


#: The waiting list's last dossier of 2022Q1 (rank 20, 30,000 requested), made a laureate.
_LAUREATE = (
    "  - dossier: tutorat-augmente-dunkerque\n"
    "    status: laureat\n"
    "    justification: Seul projet du territoire ; le jury le retient.\n"
)

_GIT = "a git repository holding the example call, committed on its default branch main"

EXPLANATIONS: dict[str, Explanation] = {
    # Reading a file.
    "E001": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "title: Passerelle entreprises : Saint-Denis    # ': ' inside a value"
        ),
        fix=(
            "Put the value in quotes when it holds ': ' or ' #', or begins with one of "
            '[ ] { } & * ! | > \' " % @ (title: "Passerelle entreprises : Saint-Denis"), and '
            "indent with spaces, never tabs. The line and column given are where the reading "
            "stopped: the mistake is there or just before."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "title: Passerelle entreprises – Saint-Denis",
                "title: Passerelle entreprises : Saint-Denis",
            ),
        ),
    ),
    "E002": Explanation(
        example=(
            "A dossier saved in Latin-1 or Windows-1252 by an older editor or a spreadsheet: "
            "the é of développement is the single byte 0xE9, which is not UTF-8."
        ),
        fix=(
            "Save the file as UTF-8 (in most editors: save with encoding, UTF-8) and run gen "
            "validate again."
        ),
        trigger=(
            NewFile(
                "2022Q2/atelier-nantes.yaml",
                b"id: atelier-nantes\nround: 2022Q2\ntitle: Atelier du d\xe9veloppement\n",
            ),
        ),
    ),
    "E003": Explanation(
        example="# 2022Q2/atelier-nantes.yaml\n# à remplir",
        fix=(
            "Fill the file in, or remove it. gen new dossier 2022Q2 atelier-nantes writes a "
            "dossier with every field and a comment on each."
        ),
        trigger=(NewFile("2022Q2/atelier-nantes.yaml", "# à remplir\n"),),
    ),
    "E004": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "contact:\n"
            "  name: Julien Lefèvre\n"
            "  email: julien.lefevre@example.org\n"
            "---\n"
            "id: passerelle-entreprises-saint-denis-2"
        ),
        fix=(
            "Keep one document in a file: remove the --- line and what follows it, or move "
            "that part to a file of its own (one dossier a file, named by its id)."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "  email: julien.lefevre@example.org\n",
                "  email: julien.lefevre@example.org\n---\nid: passerelle-entreprises-saint-denis-2\n",
            ),
        ),
    ),
    "E005": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "  atelier-de-la-donnee-lille:\n"
            "    grades:\n"
            "      impact: 4\n"
            "      impact: 3        # meant faisabilite"
        ),
        fix=(
            "Keep one line for the key, with the value you mean. Other YAML readers silently "
            "keep the last value; gen refuses, so that a changed grade or amount cannot hide "
            "behind a second line."
        ),
        trigger=(Edit(REVIEW, _GRADES, _GRADES.replace("faisabilite: 4", "impact: 3")),),
    ),
    "E006": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "title: !Urgent Passerelle entreprises – Saint-Denis"
        ),
        fix=(
            'Put the value in quotes (title: "!Urgent Passerelle entreprises"), or remove '
            "the word that begins with !: YAML reads it as a tag. gen reads text, numbers, "
            "dates, lists and mappings only, never tags such as !!python/object."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "title: Passerelle entreprises – Saint-Denis",
                "title: !Urgent Passerelle entreprises – Saint-Denis",
            ),
        ),
    ),
    "E007": Explanation(
        example="# 2022Q2/atelier-nantes.yaml\n- id: atelier-nantes\n- round: 2022Q2",
        fix=(
            "Write the fields as key: value lines at the left margin, without a leading '- ' "
            "(gen new dossier ROUND ID writes a dossier to fill in)."
        ),
        trigger=(NewFile("2022Q2/atelier-nantes.yaml", "- id: atelier-nantes\n- round: 2022Q2\n"),),
    ),
    "E008": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "  atelier-de-la-donnee-lille:\n"
            "    grades: &memes-notes\n"
            "      pertinence: 4\n"
            "      ...\n"
            "  badges-ouverts-du-numerique-le-havre:\n"
            "    grades: *memes-notes"
        ),
        fix=(
            "Write each value out in full where it is used (copy the grades), and remove the "
            "&name, *name and << marks: in a file reviewed line by line, every value must "
            "show where it applies."
        ),
        trigger=(
            Edit(
                REVIEW,
                "  atelier-de-la-donnee-lille:\n    grades:\n",
                "  atelier-de-la-donnee-lille:\n    grades: &memes-notes\n",
            ),
            Edit(
                REVIEW,
                "  badges-ouverts-du-numerique-le-havre:\n"
                "    grades:\n"
                "      pertinence: 2\n"
                "      innovation: 4\n"
                "      impact: 4\n"
                "      faisabilite: 3\n"
                "      partenariats: 4\n",
                "  badges-ouverts-du-numerique-le-havre:\n    grades: *memes-notes\n",
            ),
        ),
    ),
    "E009": Explanation(
        example=(
            "A dossier of more than 1 MB, for instance with a whole report pasted into its "
            "summary; or a file that holds more than 50,000 values."
        ),
        fix=(
            "Keep the file short: a dossier is a few kilobytes. Summarise a long document and "
            "give a link to it instead of pasting it in."
        ),
        trigger=(Recipe("huge-file", "a dossier of 2022Q2 made larger than 1 MB"),),
    ),
    "E010": Explanation(
        example=(
            "2022Q2/copie.yaml is a symbolic link to another dossier; or a folder is named "
            "like a dossier file (2022Q2/annexes.yaml/)."
        ),
        fix=(
            "Commit the file itself, not a link to it, and give a folder a name that does not "
            "end in .yaml. gen never follows links, so that nothing outside the call folder "
            "can be read through one."
        ),
        trigger=(Recipe("symlinked-dossier", "a dossier of 2022Q2 replaced by a link"),),
    ),
    "E011": Explanation(
        example=(
            "The secretariat runs gen validate --identity secretariat.key, and "
            "2022Q2/reviews/amelie-roux.yaml.age was sealed to other keys, or was changed "
            "after it was sealed."
        ),
        fix=(
            "Check that the identity is the secretariat's key (the one whose public key is in "
            "call.yaml's sealing.recipients). Otherwise restore the file from git, or ask the "
            "reviewer to seal the review again with gen seal."
        ),
        trigger=(
            Recipe(
                "tampered-sealed-review",
                "a byte of 2022Q2's sealed review changed, checked with the secretariat's identity",
            ),
        ),
    ),
    "E012": Explanation(
        example=(
            "2022Q2/reviews/amelie-roux.yaml and 2022Q2/reviews/amelie-roux.yaml.age are both "
            "committed: the reviewer sealed her review, then committed the plain file too."
        ),
        fix=(
            "Keep one. In a call that seals its reviews, remove the plain file (git rm "
            "2022Q2/reviews/amelie-roux.yaml), so that only the secretariat reads the grades."
        ),
        trigger=(
            NewFile("2022Q2/reviews/amelie-roux.yaml", "reviewer: amelie-roux\n" + _REVIEW_2022Q2),
        ),
    ),
    "E013": Explanation(
        example=(
            "# 2022Q2/mobilite-numerique-brest.yaml: the contact is sealed beside it, in\n"
            "# mobilite-numerique-brest.private.yaml.age, and written here again\n"
            "contact:\n"
            "  name: Fatou Lambert\n"
            "  email: fatou.lambert@example.org"
        ),
        fix=(
            "Remove the field from the public file: gen reads it from the sealed part. A "
            "sealed part holds only the fields listed in call.yaml's sealing.private (the "
            "contact, by default); keep any other field in the public file."
        ),
        trigger=(
            Recipe("sealed-contact", "gen seal 2022Q2/mobilite-numerique-brest.yaml"),
            Edit(
                OPEN_DOSSIER,
                "submitted: 2022-04-23\n",
                "submitted: 2022-04-23\n"
                "contact:\n"
                "  name: Fatou Lambert\n"
                "  email: fatou.lambert@example.org\n",
            ),
        ),
    ),
    # One file against its schema.
    "E101": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml: no title\n"
            "id: passerelle-entreprises-saint-denis\n"
            "round: 2022Q1\n"
            "summary: |"
        ),
        fix=(
            "Add the field the message names, under the key it points at. README describes "
            "every field of each file, and gen new dossier ROUND ID writes a dossier with every "
            "field. A partner registered in France gives its siret; one registered abroad, "
            "its country."
        ),
        trigger=(Edit(DOSSIER, "title: Passerelle entreprises – Saint-Denis\n", ""),),
    ),
    "E102": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "contact:\n"
            "  name: Julien Lefèvre\n"
            "  e-mail: julien.lefevre@example.org"
        ),
        fix=(
            "Correct the field's name (gen suggests the nearest one: email), or remove the "
            "field. Every format refuses the fields it does not know, so that a typo is never "
            "silently ignored."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "  email: julien.lefevre@example.org",
                "  e-mail: julien.lefevre@example.org",
            ),
        ),
    ),
    "E103": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "themes: insertion-professionnelle    # a list is expected"
        ),
        fix=(
            "Write the value in the form the field takes: a list as lines starting with '- ' "
            "(or [a, b]), a number with plain digits (38000, 38000.50: no spaces, no €), a "
            "yes-or-no field as true or false, a date as YYYY-MM-DD."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "themes:\n- insertion-professionnelle\n",
                "themes: insertion-professionnelle\n",
            ),
        ),
    ),
    "E104": Explanation(
        example="# 2022Q1/passerelle-entreprises-saint-denis.yaml\nporteur:\n  region: Île-de-France",
        fix=(
            "Use one of the values the field allows, written exactly so: regions, kinds and "
            "publics are lower-case slugs (region: ile-de-france; README lists them), "
            "percentages are between 0 and 100, dates are real days, and ids use lower-case "
            "letters, digits and hyphens."
        ),
        trigger=(Edit(DOSSIER, "  region: ile-de-france", "  region: Île-de-France"),),
    ),
    "E105": Explanation(
        example="# 2022Q1/passerelle-entreprises-saint-denis.yaml\nporteur:\n  siret: '650 253 511 07130'",
        fix=(
            "Copy the number from annuaire-entreprises.data.gouv.fr: 14 digits for a SIRET, "
            '9 for a SIREN, without spaces, in quotes (siret: "65025351107130"). A number '
            "that fails its check digit has a digit wrong or two swapped."
        ),
        trigger=(Edit(DOSSIER, "'65025351107130'", "'650 253 511 07130'"),),
    ),
    "E106": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "contact:\n"
            "  email: julien.lefevre.example.org"
        ),
        fix="Write one e-mail address, as name@domain: julien.lefevre@example.org.",
        trigger=(Edit(DOSSIER, "julien.lefevre@example.org", "julien.lefevre.example.org"),),
    ),
    "E107": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "timeline:\n"
            "  start: 2022-05-15\n"
            "  end: 2022-04-30      # meant 2024-04-30"
        ),
        fix=(
            "Check the years and the order of month and day: the end is on or after the "
            "start (and in call.yaml, a round closes on or after it opens)."
        ),
        trigger=(Edit(DOSSIER, "  end: 2024-04-30", "  end: 2022-04-30"),),
    ),
    "E108": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "budget:\n"
            "  total_cost: 42600\n"
            "  requested: 50500"
        ),
        fix=(
            "Ask for at most the project's total cost: requested is the grant asked of the "
            "funder, total_cost what the whole project costs, other_funding the rest."
        ),
        trigger=(Edit(DOSSIER, "  requested: 30500", "  requested: 50500"),),
    ),
    # Rules that span files.
    "E201": Explanation(
        example=(
            "The same project submitted in two rounds: 2022Q1/passerelle-entreprises-saint-"
            "denis.yaml and 2022Q2/passerelle-entreprises-saint-denis.yaml both say\n"
            "id: passerelle-entreprises-saint-denis"
        ),
        fix=(
            "Give each dossier its own id, and its file the same name (a second dossier of the "
            "same project: passerelle-entreprises-saint-denis-2); or remove the copy."
        ),
        trigger=(
            Copy(DOSSIER, "2022Q2/passerelle-entreprises-saint-denis.yaml"),
            Edit(
                "2022Q2/passerelle-entreprises-saint-denis.yaml", "round: 2022Q1", "round: 2022Q2"
            ),
        ),
    ),
    "E202": Explanation(
        example=("# 2022Q1/passerelle-entreprises-saint-denis.yaml\nid: passerelle-saint-denis"),
        fix="Make the id the file's name without .yaml, or rename the file after the id.",
        trigger=(
            Edit(DOSSIER, "id: passerelle-entreprises-saint-denis", "id: passerelle-saint-denis"),
        ),
    ),
    "E203": Explanation(
        example="# 2022Q2/mobilite-numerique-brest.yaml\nround: 2022Q1",
        fix=(
            "Make the round the folder's name, or move the file into the folder of its round: "
            "whichever is right."
        ),
        trigger=(Edit(OPEN_DOSSIER, "round: 2022Q2", "round: 2022Q1"),),
    ),
    "E204": Explanation(
        example=(
            "# 2022Q3/mobilite-numerique-brest.yaml, while call.yaml declares the rounds "
            "2021Q3 to 2022Q2\n"
            "round: 2022Q3"
        ),
        fix=(
            "Use a round that call.yaml declares under rounds (the message lists them); or, "
            "for the secretariat, declare the new round there."
        ),
        trigger=(
            Edit(OPEN_DOSSIER, "round: 2022Q2", "round: 2022Q3"),
            Move(OPEN_DOSSIER, "2022Q3/mobilite-numerique-brest.yaml"),
        ),
    ),
    "E205": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\n"
            "themes:\n"
            "- insertion-pro        # call.yaml says insertion-professionnelle"
        ),
        fix=(
            "Use the id of a theme declared under call.yaml's themes (the message lists them), "
            "spelt exactly so."
        ),
        trigger=(Edit(DOSSIER, "- insertion-professionnelle\n", "- insertion-pro\n"),),
    ),
    "E206": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "evaluations:\n"
            "  atelier-de-la-donnee-lile:    # the dossier is atelier-de-la-donnee-lille"
        ),
        fix=(
            "Write the id of a dossier of the review's round, as its file is named (without "
            ".yaml); gen new review ROUND REVIEWER lists them."
        ),
        trigger=(Edit(REVIEW, "  atelier-de-la-donnee-lille:", "  atelier-de-la-donnee-lile:"),),
    ),
    "E207": Explanation(
        example=(
            "# 2022Q1/reviews/paul-durand.yaml, while call.yaml declares no reviewer paul-durand\n"
            "reviewer: paul-durand"
        ),
        fix=(
            "Correct the reviewer's id (and the file's name) to one declared under call.yaml's "
            "reviewers; or, for the secretariat, declare the reviewer there, with their "
            "affiliations."
        ),
        trigger=(
            NewFile(
                "2022Q1/reviews/paul-durand.yaml",
                "reviewer: paul-durand\n"
                "round: 2022Q1\n"
                "evaluations:\n"
                "  atelier-de-la-donnee-lille:\n"
                "    grades:\n"
                "      pertinence: 4\n"
                "      innovation: 3\n"
                "      impact: 4\n"
                "      faisabilite: 3\n"
                "      partenariats: 3\n",
            ),
        ),
    ),
    "E208": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "  atelier-de-la-donnee-lille:\n"
            "    grades:\n"
            "      pertinance: 4        # the criterion is pertinence"
        ),
        fix=(
            "Grade the criteria of the dossier's grid, by their ids (the message lists them; "
            "gen new review writes them). A criterion computed from the dossier, such as a "
            "cost per person, is not graded."
        ),
        trigger=(
            Edit(
                REVIEW,
                "  atelier-de-la-donnee-lille:\n    grades:\n      pertinence: 4\n",
                "  atelier-de-la-donnee-lille:\n    grades:\n      pertinance: 4\n",
            ),
        ),
    ),
    "E209": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml: the scale is 0 to 5\n"
            "  atelier-de-la-donnee-lille:\n"
            "    grades:\n"
            "      pertinence: 16       # a mark out of 20"
        ),
        fix=(
            "Give a grade within the criterion's scale, which call.yaml's grid declares and "
            "the message repeats (0 to 5 here)."
        ),
        trigger=(
            Edit(
                REVIEW,
                "  atelier-de-la-donnee-lille:\n    grades:\n      pertinence: 4\n",
                "  atelier-de-la-donnee-lille:\n    grades:\n      pertinence: 16\n",
            ),
        ),
    ),
    "E210": Explanation(
        example=(
            "# call.yaml: bruno-keller is affiliated with the Agence régionale de l'orientation\n"
            "# 2022Q1/atelier-de-la-donnee-lille.yaml, which he grades:\n"
            "partners:\n"
            "- name: Agence régionale de l'orientation"
        ),
        fix=(
            "The reviewer declares the conflict instead of grading: replace the grades by "
            "conflict: <why> in their review. If the match is wrong, correct the affiliation "
            "in call.yaml or the organisation's name or SIRET in the dossier."
        ),
        trigger=(
            Edit(
                "2022Q1/atelier-de-la-donnee-lille.yaml",
                "- name: Centre social du quartier\n",
                "- name: Agence régionale de l'orientation\n",
            ),
        ),
    ),
    "E214": Explanation(
        example=(
            "Round 2022Q1 closes on 2022-03-31; the secretariat merges the pull request that "
            "adds 2022Q1/atelier-nantes.yaml on 2022-04-20, and the dossier says submitted: "
            "2022-04-15."
        ),
        fix=(
            "Nothing to fix if the dossier was late: gen score records it ineligible. If it "
            "was on time (the forge was down, say), the secretariat accepts it with the "
            "round's accept_late in call.yaml, its submitted date being inside the window, "
            "or, once the round is closed, with gen amend --accept-late."
        ),
        trigger=(
            Recipe(
                "late-merge",
                f"{_GIT}; a dossier of 2022Q1 committed there after the round closed",
            ),
        ),
    ),
    "E215": Explanation(
        example=(
            "call.yaml says submissions: closed for round 2022Q1, and a pull request adds "
            "2022Q1/atelier-nantes.yaml."
        ),
        fix=(
            "Submit the dossier to a round that takes dossiers (submissions: open). Merged as "
            "it is, it will be recorded ineligible; the secretariat can accept it with the "
            "round's accept_late if it was submitted in time."
        ),
        trigger=(
            Recipe(
                "dossier-after-closing",
                f"{_GIT}; a dossier added to 2022Q1 (submissions: closed) and not committed",
            ),
        ),
    ),
    "E212": Explanation(
        example="# 2022Q1/reviews/bruno.yaml\nreviewer: bruno-keller",
        fix=(
            "Name the file after the reviewer (2022Q1/reviews/bruno-keller.yaml) and keep it "
            "in the reviews/ folder of the round it names."
        ),
        trigger=(Move(REVIEW, "2022Q1/reviews/bruno.yaml"),),
    ),
    "E213": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "  atelier-de-la-donnee-lille:\n"
            "    conflict: J'ai conseillé le porteur en 2021.\n"
            "    grades:\n"
            "      pertinence: 4"
        ),
        fix=(
            "Remove the grades (and the comment on the project) of a dossier you declare a "
            "conflict with; or, if there is no conflict after all, remove the conflict line."
        ),
        trigger=(
            Edit(
                REVIEW,
                "  atelier-de-la-donnee-lille:\n    grades:\n",
                "  atelier-de-la-donnee-lille:\n"
                "    conflict: J'ai conseillé le porteur en 2021.\n"
                "    grades:\n",
            ),
        ),
    ),
    # The call file's rules.
    "E301": Explanation(
        example=(
            "# call.yaml\n"
            "eligibility:\n"
            "  - id: montant\n"
            "    ...\n"
            "  - id: montant          # a second rule with the same id"
        ),
        fix=(
            "Give each theme, round, reviewer, rule and criterion (within its grid) an id of "
            "its own."
        ),
        trigger=(Edit(CALL, "  - id: cofinancement\n", "  - id: montant\n"),),
    ),
    "E302": Explanation(
        example=(
            "# call.yaml: no grid has a criterion impacts\n"
            "scoring:\n"
            "  tie_break: [criterion:impacts, requested, submitted, id]"
        ),
        fix=(
            "Name in criterion:<id> a criterion that every grid has (impact here), or remove "
            "that key from tie_break."
        ),
        trigger=(Edit(CALL, "tie_break: [criterion:impact,", "tie_break: [criterion:impacts,"),),
    ),
    "E303": Explanation(
        example=(
            "# call.yaml\n"
            "grids:\n"
            "  ingenierie-pedagogique:\n"
            "    criteria:\n"
            "      - id: cout-par-personne\n"
            "        weight: 0"
        ),
        fix=(
            "Give every criterion a weight above zero (its points out of 20, relative to the "
            "others), or remove the criterion from the grid."
        ),
        trigger=(
            Edit(
                CALL,
                'en: "Cost per person trained"}\n        weight: 4',
                'en: "Cost per person trained"}\n        weight: 0',
            ),
        ),
    ),
    "E304": Explanation(
        example=(
            "# call.yaml\n"
            "eligibility:\n"
            "  - id: montant\n"
            "    rule: requested-amount\n"
            "    min: 45000\n"
            "    max: 40000"
        ),
        fix=(
            "Put the smaller bound in min (or low) and the larger in max (or high); a "
            "criterion's minimum lies within its scale. For an indicator where less is "
            "better, keep low below high and write better: lower."
        ),
        trigger=(Edit(CALL, "    min: 10000\n    max: 40000", "    min: 45000\n    max: 40000"),),
    ),
    "E305": Explanation(
        example=(
            "# call.yaml: a theme added without its grid\n"
            "themes:\n"
            "  - id: numerique-responsable\n"
            "    label: {fr: Numérique responsable, en: Responsible digital}"
        ),
        fix=(
            "Give each theme a grid under grids, named by the theme's id, and remove a grid "
            "whose theme is gone (or correct its name)."
        ),
        trigger=(
            Edit(
                CALL,
                "      en: Job placement\n",
                "      en: Job placement\n"
                "  - id: numerique-responsable\n"
                "    label: {fr: Numérique responsable, en: Responsible digital}\n",
            ),
        ),
    ),
    "E306": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml\nbudget:\n  other_funding: -12100"
        ),
        fix=(
            "Write amounts as positive numbers (or 0): the other funding is what other "
            "funders give, the envelope what a round can spend."
        ),
        trigger=(Edit(DOSSIER, "  other_funding: 12100", "  other_funding: -12100"),),
    ),
    "E307": Explanation(
        example=("# call.yaml: the four rounds' envelopes add up to 2,800,000\nbudget: 2500000"),
        fix=(
            "Raise the call's budget to at least the sum of the rounds' envelopes, or lower "
            "the envelopes."
        ),
        trigger=(Edit(CALL, "budget: 4000000", "budget: 2500000"),),
    ),
    "E308": Explanation(
        example=(
            "# call.yaml\n"
            "  - id: 2022Q2\n"
            "    envelope:\n"
            "      amount: 600000\n"
            "      themes:\n"
            "        recrutement:\n"
            "          max: 700000"
        ),
        fix=(
            "Keep each theme's max within the round's envelope amount, and the themes' "
            "min_share percentages at 100 in all."
        ),
        trigger=(
            Edit(
                CALL,
                "    submissions: open\n    envelope:\n      amount: 600000\n",
                "    submissions: open\n"
                "    envelope:\n"
                "      amount: 600000\n"
                "      themes:\n"
                "        recrutement:\n"
                "          max: 700000\n",
            ),
        ),
    ),
    "E309": Explanation(
        example=(
            "# call.yaml: pertinence is graded 0 to 5 in the other grids\n"
            "  ingenierie-pedagogique:\n"
            "    criteria:\n"
            "      - id: pertinence\n"
            "        scale: {min: 0, max: 10}"
        ),
        fix=(
            "Give a criterion id the same source and scale in every grid (a reviewer's grades "
            "on it are compared across themes), or give the different criterion an id of its "
            "own."
        ),
        trigger=(
            Edit(
                CALL,
                "  ingenierie-pedagogique:\n"
                "    criteria:\n"
                "      - id: pertinence\n"
                '        label: {fr: "Pertinence pour les publics de la Grande école du '
                'numérique", en: "Relevance to the Grande école du numérique\'s publics"}\n'
                "        weight: 4\n"
                "        source: reviews\n"
                "        scale: {min: 0, max: 5}\n",
                "  ingenierie-pedagogique:\n"
                "    criteria:\n"
                "      - id: pertinence\n"
                '        label: {fr: "Pertinence pour les publics de la Grande école du '
                'numérique", en: "Relevance to the Grande école du numérique\'s publics"}\n'
                "        weight: 4\n"
                "        source: reviews\n"
                "        scale: {min: 0, max: 10}\n",
            ),
        ),
    ),
    "E310": Explanation(
        example=(
            "# call.yaml: round 2022Q1 has laureates, and gen publish --draft is run\n"
            "  - id: 2022Q1\n"
            "    closes: 2022-03-31\n"
            "    # no decision_date"
        ),
        fix=(
            "Add the round's decision_date (the day the grants were decided, YYYY-MM-DD) and "
            "its decision_reference in call.yaml, then score the round again (gen score "
            "--round 2022Q1): the open data on grants needs that date."
        ),
        trigger=(
            Edit(CALL, "    decision_date: 2022-05-12\n", ""),
            Recipe("publish-draft", "gen score --round 2022Q1, then gen publish --draft"),
        ),
    ),
    "E311": Explanation(
        example=(
            "# call.yaml\npublication:\n  logo: logo.png     # no such file next to call.yaml"
        ),
        fix=(
            "Put the funder's logo in the call folder as a PNG, JPEG or WebP file of at most "
            "512 KB (not a link, not an SVG), and give its path from the folder holding "
            "call.yaml; or remove publication.logo to publish without one."
        ),
        trigger=(
            Edit(
                CALL,
                "  contact: contact@example.org\n",
                "  contact: contact@example.org\n  logo: logo.png\n",
            ),
        ),
    ),
    # Decision records and the rounds' lifecycle.
    "E401": Explanation(
        example=(
            "# 2021Q3/lovelace.yaml, in round 2021Q3, closed since 2021-11-18\n"
            "title: Lovelace – Ada Tech School     # was: Lovelace"
        ),
        fix=(
            "Undo the change (git checkout the file); or, if it must stand (a corrected "
            "SIRET, a late dossier accepted), the secretariat records who, when and why with "
            'gen amend 2021Q3 --reason "…".'
        ),
        trigger=(Edit(CLOSED_DOSSIER, "title: Lovelace\n", "title: Lovelace – Ada Tech School\n"),),
    ),
    "E402": Explanation(
        example=(
            "# call.yaml: the rule montant decided the closed rounds 2021Q3 and 2021Q4\n"
            "  - id: montant\n"
            "    rule: requested-amount\n"
            "    max: 45000          # was 40000"
        ),
        fix=(
            "Undo the change to call.yaml. If a closed round must be decided again under the "
            "new rule, the secretariat records who, when and why with gen amend 2021Q3 "
            '--reason "…", for each closed round concerned.'
        ),
        trigger=(Edit(CALL, "    min: 10000\n    max: 40000", "    min: 10000\n    max: 45000"),),
    ),
    "E403": Explanation(
        example=(
            "# 2021Q3/results.yaml, the closed round's decision record, edited by hand\n"
            "call_budget:\n"
            '  after: "3300000.00"       # was "3276500.00"'
        ),
        fix=(
            "Restore the record from git (git checkout 2021Q3/results.yaml). A decision "
            "record is written by gen score and made final by gen close; a closed round is "
            "changed only through gen amend, which keeps who, when and why."
        ),
        trigger=(Edit("2021Q3/results.yaml", '  after: "3276500.00"', '  after: "3300000.00"'),),
    ),
    "E404": Explanation(
        example=(
            "# 2022Q1/results.yaml, after a merge conflict resolved by hand\n"
            "<<<<<<< HEAD\n"
            "decisions:"
        ),
        fix=(
            "Write the record again with gen score --round 2022Q1 (a decision record is "
            "never edited by hand), or restore it from git."
        ),
        trigger=(Edit("2022Q1/results.yaml", "\ndecisions:\n", "\n<<<<<<< HEAD\ndecisions:\n"),),
    ),
    "E405": Explanation(
        example=(
            "# call.yaml: round 2022Q1 has a decision record (2022Q1/results.yaml)\n"
            "  - id: 2022Q1\n"
            "    submissions: open"
        ),
        fix=(
            "Set submissions: closed on the round: a round is scored once it no longer takes "
            "dossiers. To take dossiers again, remove the record first (git rm "
            "2022Q1/results.yaml)."
        ),
        trigger=(
            Edit(
                CALL,
                "    closes: 2022-03-31\n    submissions: closed",
                "    closes: 2022-03-31\n    submissions: open",
            ),
        ),
    ),
    "E406": Explanation(
        example=(
            "A pull request deletes 2022Q1/results.yaml, while the round is scored on the "
            "default branch."
        ),
        fix=(
            "Restore the record (git checkout main -- 2022Q1/results.yaml), or score the "
            "round again (gen score --round 2022Q1) and commit it."
        ),
        trigger=(
            Recipe("record-deleted", f"{_GIT}; 2022Q1/results.yaml removed from the work tree"),
        ),
    ),
    # The jury's deliberation.
    "E501": Explanation(
        example="# 2022Q1/jury.yaml\nround: 2021Q4",
        fix=(
            "Write the round of the folder the file is in (round: 2022Q1), or move the file to "
            "the folder of the round it deliberates on."
        ),
        trigger=(NewFile(JURY, _jury(_LAUREATE, round_id="2021Q4")),),
    ),
    "E502": Explanation(
        example=(
            "# 2022Q1/jury.yaml: call.yaml's jury has no member secretaire-general\n"
            "present: [presidente, secretaire-general]"
        ),
        fix=(
            "List in present the ids of members declared under call.yaml's jury; the "
            "secretariat declares a new member there."
        ),
        trigger=(NewFile(JURY, _jury(_LAUREATE, present="presidente, secretaire-general")),),
    ),
    "E503": Explanation(
        example=(
            "# 2022Q1/jury.yaml\n"
            "decisions:\n"
            "  - dossier: tutorat-augmente-dunkirk    # for tutorat-augmente-dunkerque"
        ),
        fix=("Name a dossier of the round by its id, and give each dossier at most one decision."),
        trigger=(NewFile(JURY, _jury(_LAUREATE.replace("dunkerque", "dunkirk"))),),
    ),
    "E504": Explanation(
        example=(
            "# 2022Q1/jury.yaml: call.yaml's jury has a quorum of 2\n"
            "present: [presidente]\n"
            "decisions:\n"
            "  - dossier: tutorat-augmente-dunkerque"
        ),
        fix=(
            "A decision needs at least the quorum of members present with no conflict of "
            "interest with the dossier: list everyone who was present, or leave the decision "
            "to a meeting that has the quorum."
        ),
        trigger=(NewFile(JURY, _jury(_LAUREATE, present="presidente")),),
    ),
    "E505": Explanation(
        example=(
            "# 2022Q1/jury.yaml: the dossier requested 30,000\n"
            "  - dossier: tutorat-augmente-dunkerque\n"
            "    status: laureat\n"
            "    granted: 31000"
        ),
        fix=(
            "Grant a laureate more than 0 and at most what it requested, within the call's "
            "requested-amount rule; grant nothing to another status; and write the jury's "
            "justification."
        ),
        trigger=(NewFile(JURY, _jury(_LAUREATE + "    granted: 31000\n")),),
    ),
    "E506": Explanation(
        example=(
            "# 2022Q1/jury.yaml: the laureates already take 574,500 of the 600,000 envelope\n"
            "  - dossier: tutorat-augmente-dunkerque      # requested 30,000\n"
            "    status: laureat"
        ),
        fix=(
            "Keep the grants within what the round can spend: grant less (granted: 25500), or "
            "move a laureate to the waiting list. The jury decides among the dossiers that "
            "competed, and only a laureate can withdraw."
        ),
        trigger=(NewFile(JURY, _jury(_LAUREATE)),),
    ),
    # Who reviews what.
    "E601": Explanation(
        example=(
            "# 2022Q1/assignments.yaml\n"
            "reviewers:\n"
            "  bruno-keller:\n"
            '    - "atelier-de-la-donnee-lile"     # the dossier is atelier-de-la-donnee-lille'
        ),
        fix=(
            "Run gen assign 2022Q1 again rather than editing the file; or correct the id to a "
            "reviewer of call.yaml or a dossier of the round."
        ),
        trigger=(
            Edit(
                ASSIGNMENTS,
                '  bruno-keller:\n    - "atelier-de-la-donnee-lille"\n',
                '  bruno-keller:\n    - "atelier-de-la-donnee-lile"\n',
            ),
        ),
    ),
    "E602": Explanation(
        example=(
            "# call.yaml: bruno-keller is affiliated with the Agence régionale de l'orientation\n"
            "# 2022Q1/assignments.yaml gives him atelier-de-la-donnee-lille, whose partner it is"
        ),
        fix=(
            "Run gen assign 2022Q1 again: it gives the dossier to a reviewer without a "
            "conflict and keeps the other pairs."
        ),
        trigger=(
            Edit(
                "2022Q1/atelier-de-la-donnee-lille.yaml",
                "- name: Centre social du quartier\n",
                "- name: Agence régionale de l'orientation\n",
            ),
        ),
    ),
    "E603": Explanation(
        example=(
            "# call.yaml\n"
            "reviewers:\n"
            "  - id: bruno-keller\n"
            "    themes:\n"
            "    - accompagnement-social      # the theme is accompagnement-socioprofessionnel"
        ),
        fix=(
            "Name in a reviewer's themes, and in assignment.avoid, themes and reviewers that "
            "call.yaml declares."
        ),
        trigger=(
            Edit(
                CALL,
                "    - accompagnement-socioprofessionnel\n    max_load: 20\n  - id: claire-nadeau",
                "    - accompagnement-social\n    max_load: 20\n  - id: claire-nadeau",
            ),
        ),
    ),
    # Warnings.
    "W001": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml: 30500 + 10000 is not 42600\n"
            "budget:\n"
            "  total_cost: 42600\n"
            "  requested: 30500\n"
            "  other_funding: 10000"
        ),
        fix=(
            "Make requested + other_funding equal total_cost: other_funding is everything "
            "the project gets besides this grant, own funds included."
        ),
        trigger=(Edit(DOSSIER, "  other_funding: 12100", "  other_funding: 10000"),),
    ),
    "W002": Explanation(
        example="2022Q2/mobilite-numerique-brest.yml (a dossier named .yml, not .yaml)",
        fix=(
            "Name dossiers and reviews <id>.yaml, in their round's folder (reviews in its "
            "reviews/ folder); move anything else out of the call folder."
        ),
        trigger=(Move(OPEN_DOSSIER, "2022Q2/mobilite-numerique-brest.yml"),),
    ),
    "W003": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml\n"
            "  atelier-de-la-donnee-lille:\n"
            "    grades:\n"
            "      partenariats:        # not graded yet"
        ),
        fix=(
            "Give the grade before the round is scored: a dossier whose criteria are not all "
            "graded by enough reviewers is not ranked."
        ),
        trigger=(Edit(REVIEW, _GRADES, _GRADES.replace("partenariats: 3", "partenariats:")),),
    ),
    "W010": Explanation(
        example=(
            "# 2022Q2/mobilite-numerique-brest.yaml; call.yaml's rule montant asks 10,000 to "
            "40,000\n"
            "budget:\n"
            "  requested: 8000"
        ),
        fix=(
            "Change the dossier so that it meets the rule whose message is shown (here, ask "
            "between 10,000 and 40,000): as it stands, it will be recorded ineligible."
        ),
        trigger=(
            Edit(
                OPEN_DOSSIER,
                "  requested: 36500\n  other_funding: 18400",
                "  requested: 8000\n  other_funding: 46900",
            ),
        ),
    ),
    "W011": Explanation(
        example=(
            "A pull request adds or changes templates/index.html, which renders the published site."
        ),
        fix=(
            "Review the template as code before merging it (it runs in a sandbox, but decides "
            "what the public reads); nothing to fix if the change is meant."
        ),
        trigger=(Recipe("template-changed", f"{_GIT}; templates/index.html added, not committed"),),
    ),
    "W012": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml: the е of wеb is Cyrillic\n"
            "porteur:\n"
            "  name: Institut des métiers du wеb de Saint-Denis"
        ),
        fix=(
            "Retype the name in one alphabet, as the organisation is registered: a letter "
            "that only looks Latin can hide a conflict of interest."
        ),
        trigger=(
            Edit(
                DOSSIER,
                "  name: Institut des métiers du web de Saint-Denis",
                "  name: Institut des métiers du w\u0435b de Saint-Denis",
            ),
        ),
    ),
    "W013": Explanation(
        example=(
            "# 2022Q1/passerelle-entreprises-saint-denis.yaml, submitted 2022-03-03\n"
            "timeline:\n"
            "  end: 2042-04-30      # meant 2024"
        ),
        fix="Check the year of the project's start and end dates.",
        trigger=(Edit(DOSSIER, "  end: 2024-04-30", "  end: 2042-04-30"),),
    ),
    "W014": Explanation(
        example="2022Q2/.brouillon.yaml, a hidden file (its name begins with a dot)",
        fix=(
            "Remove the file from the pull request (an editor's or an interrupted gen's "
            "leftover, usually): gen does not read it, and reviewers might not see it."
        ),
        trigger=(NewFile("2022Q2/.brouillon.yaml", "id: brouillon\n"),),
    ),
    "W015": Explanation(
        example=(
            "# 2022Q1/reviews/bruno-keller.yaml grades atelier-de-la-donnee-lille, and\n"
            "# 2022Q1/assignments.yaml does not give it to bruno-keller"
        ),
        fix=(
            "Grade only the dossiers assigned to you (gen new review lists them), or ask the "
            "secretariat to assign the dossier to you with gen assign."
        ),
        trigger=(
            Edit(
                ASSIGNMENTS,
                '  bruno-keller:\n    - "atelier-de-la-donnee-lille"\n',
                "  bruno-keller:\n",
            ),
        ),
    ),
    "W016": Explanation(
        example=(
            "# 2022Q1/assignments.yaml lists 3 reviewers for each dossier\nreviews_per_dossier: 4"
        ),
        fix=(
            "Run gen assign 2022Q1 again: it adds reviewers where they are missing and keeps "
            "the pairs already made."
        ),
        trigger=(Edit(ASSIGNMENTS, "reviews_per_dossier: 3", "reviews_per_dossier: 4"),),
    ),
    "W017": Explanation(
        example=(
            "2022Q2/reviews/bruno-keller.yaml, in plain text, while call.yaml's sealing "
            "seals the reviews of 2022Q2"
        ),
        fix=(
            "Seal it before committing: gen seal 2022Q2/reviews/bruno-keller.yaml writes "
            "bruno-keller.yaml.age and removes the plain file, so that only the secretariat "
            "reads the grades."
        ),
        trigger=(
            NewFile(
                "2022Q2/reviews/bruno-keller.yaml", "reviewer: bruno-keller\n" + _REVIEW_2022Q2
            ),
        ),
    ),
    # Notes.
    "N001": Explanation(
        example=(
            "gen validate run without the secretariat's identity, on a call holding "
            "2022Q2/reviews/amelie-roux.yaml.age (the example call does)"
        ),
        fix=(
            "Nothing to fix: the secretariat, and CI on the default branch, check the sealed "
            "review with --identity FILE or GEN_AGE_IDENTITY."
        ),
        trigger=(),
    ),
    "N002": Explanation(
        example=(
            "gen validate run without the secretariat's identity, after the applicant sealed "
            "the contact (gen seal 2022Q2/mobilite-numerique-brest.yaml)"
        ),
        fix=(
            "Nothing to fix: the secretariat checks the sealed part with --identity FILE or "
            "GEN_AGE_IDENTITY."
        ),
        trigger=(Recipe("sealed-contact", "gen seal 2022Q2/mobilite-numerique-brest.yaml"),),
    ),
}


# --- Rendering --------------------------------------------------------------------------------

_WIDTH = 88
_INDENT = "    "


def normalised(code: str) -> str:
    """The code as the table spells it (``e102`` → ``E102``).

    Raises:
        GenError: no such code (exit status 2).
    """
    key = code.strip().upper()
    if key not in CODES:
        raise GenError(
            f"unknown code {code!r}: codes are like E102, W010 or N001; "
            "run gen explain without a code to list them all"
        )
    return key


def explain(code: str) -> str:
    """What a code means, an example that triggers it and how to fix it, as plain text.

    Raises:
        GenError: no such code (exit status 2).
    """
    key = normalised(code)
    severity, meaning = CODES[key]
    entry = EXPLANATIONS[key]
    example = textwrap.indent(_wrapped(entry.example), _INDENT)
    fix = textwrap.indent("\n".join(_lines(entry.fix, _WIDTH - len(_INDENT))), _INDENT)
    return f"{key} ({severity}): {meaning}\n\nExample:\n{example}\n\nFix:\n{fix}"


def _wrapped(example: str) -> str:
    """An example as written, its long lines of prose or comment wrapped to the width."""
    width = _WIDTH - len(_INDENT)
    lines = []
    for line in example.splitlines():
        if len(line) <= width or line[:1] in {" ", "-"}:  # YAML is shown as written
            lines.append(line)
        elif line.startswith("# "):
            lines.extend(_lines(line, width, "# "))
        else:
            lines.extend(_lines(line, width))
    return "\n".join(lines)


def _lines(text: str, width: int, indent: str = "") -> list[str]:
    """Text cut into lines at spaces only: ids, paths and commands stay whole."""
    return textwrap.wrap(
        text, width, subsequent_indent=indent, break_on_hyphens=False, break_long_words=False
    )


def code_list() -> str:
    """Every code with its severity and meaning, one a line."""
    return "\n".join(
        f"{code}  {severity:<7}  {meaning}" for code, (severity, meaning) in CODES.items()
    )


def codes_table() -> str:
    """README's table of diagnostic codes, in Markdown."""
    rows = [f"| {code} | {severity} | {meaning} |" for code, (severity, meaning) in CODES.items()]
    return "\n".join(["| code | severity | meaning |", "|---|---|---|", *rows])
