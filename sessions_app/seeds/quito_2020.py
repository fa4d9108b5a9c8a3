"""Every fact of the concept note of the 6th Mayoral Forum (Quito, 22 January 2020).

Source: ``shared/seeds/quito-2020-concept-note.txt`` (the concept note of the parallel
session "Strengthen partnerships to improve the local immigration response in Latin
America and the Caribbean"). Texts are transcribed as printed, with two corrections: the
rapporteur printed "David David Khoudour" is stored as David Khoudour, and trailing
full stops after affiliations are dropped. The note names no venue, room, capacity,
plenary session, host organization or website, so none is invented here.
Times are local to ``FORUM["time_zone"]``.
"""

FORUM = {
    "slug": "quito-2020",
    "edition": 6,
    "title": "6th Mayoral Forum on Human Mobility, Migration, and Development",
    "theme": "From Large Movements to the UN Global Compacts: Cities as First Responders",
    "city": "Quito",
    "country": "Ecuador",
    "start_date": "2020-01-22",
    "end_date": "2020-01-22",
    "time_zone": "America/Guayaquil",
    "part_of": "Summit of the Global Forum on Migration and Development (GFMD)",
    "description": "\n\n".join(
        [
            "The 6th Mayoral Forum will meet in Quito, Ecuador, on January 22, 2020 under the title "
            '"From Large Movements to the Global Compacts: Cities as First Responders". For the first '
            "time, the Forum will be an integral part of the annual Summit of the Global Forum on "
            "Migration and Development (GFMD).",
            "In 2015, large movements of refugees and migrants led to the adoption of the New York "
            "Declaration for Refugees and Migrants and the development of the two Global Pacts. Cities "
            "and municipalities are the main points of arrival of the great movements and the first to "
            "respond to the needs of migrants and refugees. While the global response in 2015 was fueled "
            "by the crisis in Syria and an increase in arrivals in Europe, today it is the Americas that "
            "struggle with large movements of people seeking security and a better life in neighboring "
            "countries and throughout the continent. Taking place in Quito, the Mayoral Forum will "
            "provide an opportunity for local and regional authorities in the region and those "
            "experiencing similar challenges in other regions to exchange practical solutions and "
            "lessons learned.",
            "In 2019, cities pressed for inclusion in the Global Compact for Safe, Orderly and Regular "
            "Migration (GCM) and Global Compact on Refugees (GCR) monitoring and review processes, "
            "reiterating their willingness, capacity and experience to advance the implementation of "
            "the Pact in unison. The Forum will allow cities to share information and evaluate their "
            "diplomacy efforts to date and discuss how their role can be strengthened in the future "
            "through greater participation in review processes and policies at national, regional and "
            "global levels.",
            "The Forum will be organized in a way that combines high-level plenary sessions, addressing "
            "issues of common and strategic interest; and parallel sessions that will facilitate a "
            "deeper exploration of specific issues in smaller groups, including through direct "
            "interaction with the intergovernmental deliberations of the Global Forum on Migration and "
            "Development. The work sessions will also allow various partners to contribute to the "
            "development and realization of this Mayoral Forum within their areas of expertise.",
        ]
    ),
}

THEMES = [
    "Cities' responses to large movements: maintain a commitment to host in a context of "
    "limited resources and populist policies",
]

# slug -> fields. Kinds follow forum.Organization.Kind.
ORGANIZATIONS = {
    "cities-alliance": {"name": "Cities Alliance", "kind": "intergovernmental"},
    "undp": {"name": "United Nations Development Program", "acronym": "UNDP", "kind": "un_agency"},
    "icmpd": {
        "name": "International Center for Migration Policy Development",
        "acronym": "ICMPD",
        "kind": "intergovernmental",
    },
    "avina-foundation": {"name": "AVINA Foundation", "kind": "foundation"},
    "avsi": {"name": "AVSI", "acronym": "AVSI", "kind": "civil_society"},
    "un-habitat": {"name": "UN-Habitat", "acronym": "UN-Habitat", "kind": "un_agency"},
    "municipio-de-quito": {"name": "Municipio de Quito", "kind": "local_government", "country": "Ecuador"},
}

# slug -> (name, default position, organization slug or None, country)
PEOPLE = {
    "anaclaudia-marinheiro-centeno-rossbach": (
        "Anaclaudia Marinheiro Centeno Rossbach",
        "Regional Director of Cities Alliance Latin America",
        "cities-alliance",
        "",
    ),
    "matilde-mordt": ("Matilde Mordt", "UNDP Resident Representative in Ecuador", "undp", ""),
    "alfred-woeger": ("Alfred Woeger", "Project Coordinator MIEUX", "icmpd", ""),
    "david-khoudour": ("David Khoudour", "", "undp", ""),
    "ana-ruiz-nieves": ("Ana Ruiz Nieves", "", "cities-alliance", ""),
    "claudia-pizarro": ("Claudia Pizarro", "Mayor of La Pintana, Chile", None, "Chile"),
    "cynthia-loria": ("Cynthia Loría", "", "avina-foundation", ""),
    "fabrizio-pelicelli": ("Fabrizio Pelicelli", "AVSI Regional Director for Latin America", "avsi", ""),
    "maria-fernanda-garces": (
        "María Fernanda Garcés",
        "Secretaria de Desarrollo Productivo y Competitividad del Municipio de Quito",
        "municipio-de-quito",
        "Ecuador",
    ),
    "roi-chiti": ("Roi Chiti", "", "un-habitat", ""),
}

_ANACLAUDIA = "anaclaudia-marinheiro-centeno-rossbach"
_WOEGER = (
    "alfred-woeger",
    "",
    "Project Coordinator MIEUX",
    "International Center for Migration Policy Development (ICMPD)",
    "icmpd",
)
_MORDT = ("matilde-mordt", "", "UNDP Resident Representative in Ecuador", "", "undp")

SESSION = {
    "slug": "strengthen-partnerships-local-immigration-response",
    "kind": "parallel",
    "theme": THEMES[0],
    "title": "Strengthen partnerships to improve the local immigration response in Latin America and the Caribbean",
    "date": "2020-01-22",
    "start": "14:00",
    "end": "16:30",
    "objective": (
        "Through a structured discussion, this parallel session aims to analyze recent trends, "
        "conceptualize the issue of cities and migration for the Latin American and Caribbean region, "
        "and identify best practices and approaches from local and national governments from a "
        "perspective of alliances and cooperation."
    ),
    "organizers": ["cities-alliance", "undp", "icmpd"],
    "context": "\n\n".join(
        [
            "In recent years, migratory flows presented significant changes in the Latin American and "
            "Caribbean region; displacement due to disasters, violence, political issues, search for "
            "economic opportunities and return of migrants are reconfiguring social, economic and "
            "political relations in communities and cities. This phenomenon has a more relevant impact "
            "in small and intermediate cities, as well as in urban territories characterized by "
            "situations of informality and poverty.",
            'In this regard, "increasing migration and multiculturalism are rapidly changing many '
            "communities. The current migration is varied and fragmented by multiple origins, "
            "generating new challenges in the construction of neighborhoods, where people from "
            "different cultures share spaces. The places are changing faster due to a state of "
            'permanent migration that is altering the interactions between locals and newcomers." [^1]',
            "The urban dimension, the impact of current flows, and the challenges and difficulties "
            "inherent in these processes are still poorly analyzed and studied. The design of public "
            "policies aimed at establishing effective programs and approaches to migrant populations "
            "have so far been more reactive, without having more structured strategies with a view to "
            "seizing the opportunity presented and promoting development.",
            "Recent studies show that migrants and displaced people are disproportionately represented "
            "among the urban poor, particularly in many informal settlements.[^2] Urban migrants and "
            "displaced people tend to lack opportunities and resources to sufficiently enjoy the "
            "benefits of urban life and have limited access to basic needs that include decent "
            "housing, education and medical care.[^3]",
            "In particular, the migrant and displaced population face poor housing and conditions of "
            "insecurity, with the frequent threat of eviction; poor urban health conditions; lack of "
            "descent job opportunities, where the skills and experience of migrants are not properly "
            "recognized; as well as experiences of discrimination both in institutional contexts and "
            "in everyday urban life. They may also face a variety of social, cultural and linguistic "
            "barriers implicit or explicit in access to basic services; migrants in an irregular "
            "situation experience additional barriers that exacerbate exclusion.",
            "Although migrants have needs and deficiencies, they also bring assets such as know-how, "
            "talents and specialties, which can be better used through well-designed public policies "
            "at local and national levels, allied with the actions of civil society organizations and "
            "the private sector.",
            "There are many ways in which cities respond to challenges and take advantage of migration "
            "opportunities. The scope of their work includes offering welcoming services; ensuring "
            "access, coordination or provision of basic services; supporting the social, economic, "
            "spatial, financial and civic integration of migrants and refugees; promoting initiatives "
            "that protect rights, reduce vulnerabilities, and favor inclusion (measures against "
            "discrimination, measures against the incidence of intolerance, racism, xenophobia and to "
            "help form a better informed narrative about migration).",
            "The realization of this parallel session in the context of the 6th Forum of Mayors on "
            "Human Mobility, Migration and Development is strategic in the sense of broadening the "
            "understanding of the context of migration in Latin America and the Caribbean, the impact "
            "and potential for cities, as well as starting a debate on how to incorporate the issue "
            "from robust collective constructions supported by alliances and associations taking into "
            "account the trajectory of our region and the development challenges already posed by the "
            "levels of poverty and lack of services and infrastructure in urban territories.",
        ]
    ),
    "references": [
        "Extracted from the Research Project: Collective spaces as places of identity and interaction "
        "the case of Philadelphia, El Chaco Paraguay. Margarita Green, Juan Carlos Cristaldo.",
        "UNGA, Policy Paper 10: Housing policies, Developed by the Preparatory Committee for the United "
        "Nations Conference on Housing and Sustainable Urban Development (Habitat III) "
        "A/CONF.226/PC.3/23, Surabaya, Indonesia, 2016.",
        "UNGA, Policy Paper 1: Right to the city and cities for all, Developed by the Preparatory "
        "Committee for the United Nations Conference on Housing and Sustainable Urban Development "
        "(Habitat III) A/CONF.226/PC.3/14, Surabaya, Indonesia, 2016.",
    ],
    "methodology": (
        "The session consists of a conversation with key actors in the region, in particular local "
        "governments, social organizations and multilateral institutions, to understand the main "
        "challenges faced by the transit and reception municipalities of the migrant population in "
        "Latin America and the Caribbean, and to reflect based on concrete experiences on alternatives "
        "to strengthen local governments and national frameworks."
    ),
    "key_questions": [
        "What are the main migration trends in Latin America and the Caribbean and what impacts do "
        "these recent flows have on transit and host municipalities?",
        "What are the implications of migration in terms of informal settlements and / or street population?",
        "What examples and approaches are there in Latin America and the Caribbean to promote the "
        "integration of the migrant population in cities and favor citizen coexistence?",
        "How to better incorporate migration dynamics in local urban and housing policies?",
        "How to strengthen the role of local governments in socio-economic integration and citizen "
        "coexistence? What types of partnerships are needed?",
    ],
    "expected_result": "Document of recommendations prepared by the coordinating organizations of the session.",
    # (start, end, title, [(role, person slug or None, group name, position, affiliation, organization slug)])
    "agenda": [
        (
            "14:00",
            "14:10",
            "Introduction of session objectives and participants",
            [("speaker", _ANACLAUDIA, "", "Regional Director of Cities Alliance Latinoamérica", "", "cities-alliance")],
        ),
        (
            "14:10",
            "14:20",
            "Main migration trends in Latin America and the Caribbean and challenges for transit and "
            "reception municipalities",
            [("speaker", *_MORDT)],
        ),
        (
            "14:20",
            "14:30",
            "Results of the regional workshop in Lima on host cities (ICMPD)",
            [("speaker", *_WOEGER)],
        ),
        (
            "14:30",
            "16:20",
            "Conversation",
            [
                (
                    "facilitator",
                    _ANACLAUDIA,
                    "",
                    "Regional Director of Cities Alliance Latin America",
                    "",
                    "cities-alliance",
                ),
                ("rapporteur", "david-khoudour", "", "", "UNDP", "undp"),
                ("rapporteurship", "ana-ruiz-nieves", "", "", "Cities Alliance", "cities-alliance"),
                ("participant", *_WOEGER),
                ("participant", "claudia-pizarro", "", "Mayor of La Pintana, Chile", "", None),
                ("participant", "cynthia-loria", "", "", "AVINA Foundation", "avina-foundation"),
                ("participant", "fabrizio-pelicelli", "", "AVSI Regional Director for Latin America", "", "avsi"),
                (
                    "participant",
                    "maria-fernanda-garces",
                    "",
                    "Secretaria de Desarrollo Productivo y Competitividad del Municipio de Quito",
                    "",
                    "municipio-de-quito",
                ),
                ("participant", *_MORDT),
                ("participant", "roi-chiti", "", "", "UN-Habitat", "un-habitat"),
                ("participant", None, "Youth representatives in the Forum", "", "", None),
            ],
        ),
        (
            "16:20",
            "16:30",
            "Conclusions and recommendations for public policies",
            [("speaker", _ANACLAUDIA, "", "Regional Director of Cities Alliance Latin America", "", "cities-alliance")],
        ),
    ],
}
