//! The words of the two demo agencies: what each sells, who works there, who buys, how its
//! pipeline is called. The seed draws the same shapes for both; these make them two
//! different agencies a person can tell apart at a glance.

/// A skill as the seed writes it.
#[derive(Debug, Clone, Copy)]
pub struct SkillSpec {
    /// Its name (also the title of the people whose main skill it is).
    pub name: &'static str,
    /// Hourly cost, whole currency units.
    pub cost: i64,
    /// Hourly bill rate, whole currency units.
    pub bill: i64,
    /// How many people in each turn of the cycle of main skills have it as theirs.
    pub share: usize,
    /// The second skill some of its people also have; with two, either, half the time each.
    pub second: &'static [&'static str],
}

/// A pipeline stage as the seed writes it: the six are, in order, four open stages, the
/// won stage and the lost stage.
#[derive(Debug, Clone, Copy)]
pub struct StageSpec {
    /// Its name.
    pub name: &'static str,
    /// Probability of winning, in percent.
    pub probability_pct: i64,
    /// `open`, `won` or `lost`.
    pub kind: &'static str,
    /// Days after which a deal sitting in it is rotting.
    pub rotting_days: Option<i64>,
}

/// Everything that makes one demo agency itself.
#[derive(Debug, Clone, Copy)]
pub struct Agency {
    /// Its skills, in the order they are written.
    pub skills: &'static [SkillSpec],
    /// The main skill of a login by its role: team member, project manager, any other.
    pub login_skills: [&'static str; 3],
    /// First names of the people who are not logins, and of client contacts.
    pub first_names: &'static [&'static str],
    /// Last names, likewise.
    pub last_names: &'static [&'static str],
    /// Client names are a prefix and a suffix.
    pub client_prefixes: &'static [&'static str],
    /// See `client_prefixes`.
    pub client_suffixes: &'static [&'static str],
    /// Deal titles and the skills their estimates use.
    pub deal_templates: &'static [(&'static str, &'static [&'static str])],
    /// The pipeline.
    pub stages: [StageSpec; 6],
    /// Why deals were lost.
    pub lost_reasons: &'static [&'static str],
    /// Reasons for time off: the common one, the rarer one.
    pub time_off_reasons: [&'static str; 2],
    /// A deal's goals, from the client's name and the deal's kind of work.
    pub goals: fn(&str, &str) -> String,
    /// A deal's priorities.
    pub priorities: &'static str,
    /// A deal's context, from the budget signalled in thousands.
    pub context: fn(i64) -> String,
}

impl Agency {
    /// The index in `skills` of the skill called `name` (the first if none is).
    pub fn skill_index(&self, name: &str) -> usize {
        self.skills.iter().position(|s| s.name == name).unwrap_or(0)
    }
}

const fn stage(
    name: &'static str,
    probability_pct: i64,
    kind: &'static str,
    rotting_days: Option<i64>,
) -> StageSpec {
    StageSpec {
        name,
        probability_pct,
        kind,
        rotting_days,
    }
}

const fn skill(
    name: &'static str,
    cost: i64,
    bill: i64,
    share: usize,
    second: &'static [&'static str],
) -> SkillSpec {
    SkillSpec {
        name,
        cost,
        bill,
        share,
        second,
    }
}

/// Northwind Studio, Berlin: a digital agency building sites, apps and platforms.
pub const NORTHWIND: Agency = Agency {
    skills: &[
        skill("Strategy", 70, 150, 3, &["Content"]),
        skill("Design", 55, 120, 6, &["Frontend"]),
        skill("Frontend", 55, 120, 6, &["Backend", "Design"]),
        skill("Backend", 60, 130, 5, &["Frontend"]),
        skill("Project management", 50, 110, 3, &["Strategy"]),
        skill("QA", 40, 90, 2, &["Frontend"]),
        skill("Content", 35, 85, 3, &["Strategy"]),
    ],
    login_skills: ["Design", "Project management", "Strategy"],
    first_names: &[
        "Amara", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
        "Keiko", "Liam", "Mei", "Nikhil", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara", "Umar",
        "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Aiden", "Bianca", "Caleb", "Dalia", "Emil",
        "Freya",
    ],
    last_names: &[
        "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "Gallo", "Haddad", "Ito",
        "Jensen", "Kowalski", "Laurent", "Moreau", "Nakamura", "Olsen", "Petrov", "Quintero",
        "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
        "Alvarez", "Brennan", "Costa",
    ],
    client_prefixes: &[
        "Harbor", "Lumen", "Kestrel", "Orchid", "Atlas", "Juniper", "Mosaic", "Pioneer", "Quill",
        "Summit",
    ],
    client_suffixes: &[
        "Health",
        "Logistics",
        "Bank",
        "Foods",
        "Energy",
        "Museum",
        "Outdoors",
        "Labs",
        "Travel",
        "Insurance",
    ],
    deal_templates: &[
        (
            "Website redesign",
            &["Strategy", "Design", "Frontend", "Content"],
        ),
        ("Mobile app MVP", &["Design", "Frontend", "Backend", "QA"]),
        ("Brand refresh", &["Strategy", "Design", "Content"]),
        (
            "E-commerce replatform",
            &["Design", "Frontend", "Backend", "QA"],
        ),
        ("Design system", &["Design", "Frontend"]),
        (
            "Customer portal",
            &["Design", "Frontend", "Backend", "Project management"],
        ),
        ("Campaign microsite", &["Design", "Frontend", "Content"]),
        ("Data dashboard", &["Design", "Frontend", "Backend"]),
        ("Accessibility audit", &["Frontend", "QA"]),
        ("Content strategy", &["Strategy", "Content"]),
        (
            "Booking flow rebuild",
            &["Design", "Frontend", "Backend", "QA"],
        ),
        (
            "Annual report site",
            &["Design", "Frontend", "Content", "Project management"],
        ),
    ],
    stages: [
        stage("Lead", 10, "open", Some(14)),
        stage("Qualified", 25, "open", Some(21)),
        stage("Proposal", 50, "open", Some(14)),
        stage("Negotiation", 75, "open", Some(10)),
        stage("Won", 100, "won", None),
        stage("Lost", 0, "lost", None),
    ],
    lost_reasons: &[
        "Went with a cheaper agency",
        "Budget frozen for the year",
        "Timeline did not work for them",
        "Decided to build in-house",
    ],
    time_off_reasons: ["Holiday", "Conference"],
    goals: |client, work| {
        format!(
            "{client} wants a {} that lifts conversion and is easy for their team to run.",
            work.to_lowercase()
        )
    },
    priorities: "1. Launch before the season starts. 2. Accessible (WCAG 2.2 AA). 3. Editable without developers.",
    context: |thousands| {
        format!(
            "Met through a referral. Decision maker is the head of marketing; procurement needs three quotes. Budget signalled around {thousands}k."
        )
    },
};

/// Bluebird Creative, New York: a brand and video studio shooting films, animation and
/// identities for consumer brands.
pub const BLUEBIRD: Agency = Agency {
    // A small studio: one of each main skill in turn, so six people cover six crafts.
    skills: &[
        skill("Creative direction", 85, 190, 1, &["Copywriting"]),
        skill("Production", 60, 140, 1, &["Creative direction"]),
        skill("Motion design", 60, 145, 1, &["Video editing"]),
        skill("Video editing", 55, 130, 1, &["Sound design", "Motion design"]),
        skill("Cinematography", 70, 165, 1, &["Video editing"]),
        skill("Copywriting", 50, 120, 1, &["Creative direction"]),
        skill("Sound design", 50, 115, 1, &["Video editing"]),
    ],
    login_skills: ["Motion design", "Production", "Creative direction"],
    first_names: &[
        "Avery", "Marcus", "Sloane", "Theo", "Jasmine", "Rafael", "Naomi", "Declan", "Imani",
        "Gabriel", "Lucia", "Owen", "Talia", "Andre", "Maren", "Julian", "Noor", "Isaac", "Camila",
        "Reggie", "Hana", "Mateo", "Delphine", "Kwame", "Serena", "Eli", "Paloma", "Jordan",
        "Winnie", "Cyrus",
    ],
    last_names: &[
        "Abernathy", "Delgado", "Okonkwo", "Feldman", "Rivera", "Kaplan", "Nguyen", "Whitaker",
        "Goldberg", "Park", "Santiago", "Hollis", "Petrakis", "Levin", "Ahmed", "Marchetti",
        "Chen", "Romano", "Diaz", "Friedman", "Osei", "Sullivan", "Baptiste",
    ],
    client_prefixes: &[
        "Hudson",
        "Bowery",
        "Marlow",
        "Greenpoint",
        "Tribeca",
        "Fulton",
        "Linden",
        "Ironbound",
        "Beacon",
        "Montauk",
    ],
    client_suffixes: &[
        "Coffee Roasters",
        "Apparel",
        "Skincare",
        "Cycles",
        "Records",
        "Spirits",
        "Hotels",
        "Footwear",
        "Wellness",
        "Bakehouse",
    ],
    deal_templates: &[
        (
            "Brand film",
            &[
                "Creative direction",
                "Cinematography",
                "Video editing",
                "Sound design",
            ],
        ),
        (
            "Product launch video",
            &[
                "Creative direction",
                "Motion design",
                "Video editing",
                "Copywriting",
            ],
        ),
        (
            "Social video series",
            &["Production", "Video editing", "Motion design", "Copywriting"],
        ),
        (
            "Visual identity",
            &["Creative direction", "Motion design", "Copywriting"],
        ),
        (
            "Documentary short",
            &[
                "Production",
                "Cinematography",
                "Video editing",
                "Sound design",
            ],
        ),
        (
            "Animated explainer",
            &["Motion design", "Copywriting", "Sound design"],
        ),
        (
            "Holiday campaign spot",
            &[
                "Creative direction",
                "Production",
                "Cinematography",
                "Video editing",
            ],
        ),
        (
            "Podcast trailer",
            &["Copywriting", "Sound design", "Video editing"],
        ),
        (
            "Event sizzle reel",
            &["Production", "Cinematography", "Video editing"],
        ),
        ("Logo animation", &["Motion design", "Sound design"]),
        (
            "Recruiting film",
            &["Production", "Cinematography", "Video editing"],
        ),
        (
            "Packaging photo shoot",
            &["Creative direction", "Production", "Cinematography"],
        ),
    ],
    stages: [
        stage("Inquiry", 10, "open", Some(14)),
        stage("Discovery call", 25, "open", Some(21)),
        stage("Treatment", 50, "open", Some(14)),
        stage("Bidding", 75, "open", Some(10)),
        stage("Awarded", 100, "won", None),
        stage("Not awarded", 0, "lost", None),
    ],
    lost_reasons: &[
        "Went with their in-house video team",
        "Shoot pushed to next fiscal year",
        "Chose a director with a bigger reel",
        "Budget moved to paid media",
    ],
    time_off_reasons: ["Vacation", "Film festival"],
    goals: |client, work| {
        format!(
            "{client} wants its {} to be one its audience shares, with cut-downs for every channel it posts on.",
            work.to_lowercase()
        )
    },
    priorities: "1. Delivered two weeks before the launch date. 2. Captions and audio description on every cut. 3. Footage the client's team can reuse.",
    context: |thousands| {
        format!(
            "Found us through our showreel. Decision maker is the brand director; production budgets are approved each quarter. Budget signalled around {thousands}k."
        )
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    fn check(agency: &Agency) {
        let known = |name: &str| agency.skills.iter().any(|s| s.name == name);
        for s in agency.skills {
            assert!(s.share > 0, "{}", s.name);
            assert!(!s.second.is_empty() && s.second.len() <= 2, "{}", s.name);
            for second in s.second {
                assert!(known(second), "{} -> {second}", s.name);
            }
        }
        for name in agency.login_skills {
            assert!(known(name), "{name}");
        }
        for (title, skills) in agency.deal_templates {
            assert!(skills.len() >= 2, "{title}");
            for name in *skills {
                assert!(known(name), "{title}: {name}");
            }
        }
        let kinds: Vec<&str> = agency.stages.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, ["open", "open", "open", "open", "won", "lost"]);
        for name in agency.first_names.iter().chain(agency.last_names) {
            // People's emails are made of their names.
            assert!(
                name.chars().all(|c| c.is_ascii_alphabetic()),
                "{name} does not make an email"
            );
        }
    }

    #[test]
    fn every_name_an_agency_refers_to_is_one_of_its_own() {
        check(&NORTHWIND);
        check(&BLUEBIRD);
    }

    #[test]
    fn the_two_agencies_share_no_words() {
        let words = |a: &Agency| -> Vec<&'static str> {
            let mut all: Vec<&'static str> = Vec::new();
            all.extend(a.skills.iter().map(|s| s.name));
            all.extend(a.first_names);
            all.extend(a.last_names);
            all.extend(a.client_prefixes);
            all.extend(a.client_suffixes);
            all.extend(a.deal_templates.iter().map(|t| t.0));
            all.extend(a.stages.iter().map(|s| s.name));
            all.extend(a.lost_reasons);
            all.extend(a.time_off_reasons);
            all.push(a.priorities);
            all
        };
        let northwind = words(&NORTHWIND);
        for word in words(&BLUEBIRD) {
            assert!(!northwind.contains(&word), "both agencies use {word:?}");
        }
        assert_ne!((NORTHWIND.goals)("A", "B"), (BLUEBIRD.goals)("A", "B"));
        assert_ne!((NORTHWIND.context)(1), (BLUEBIRD.context)(1));
    }
}
