"""Header words of real trackers in the languages their exports come in, per kind and field.

English words live with each field in ``fields.py``; these are the other languages (German, French, Spanish,
Dutch, Portuguese, Italian, Russian) and the vocabularies of tools whose column names are not plain words
(Jira, ServiceNow, Azure DevOps, Redmine, Mantis, Monorail, GitHub, Trello, Asana, XES event logs).
Written as the exports write them; ``core.store.values.normalize_header`` folds accents and case on comparison.
"""
from __future__ import annotations

WORK_ITEMS: dict[str, tuple[str, ...]] = {
    "external_key": (
        # tools
        "issue key", "key", "work item id", "issue id", "case:concept:name", "case id", "case", "case concept name",
        "ticket number", "incident number", "change number", "number", "sys id", "card id", "task gid", "gid",
        "issue number", "bug id", "local id", "risk id", "risk ref", "risk number", "request id",
        # de fr es nl pt it ru
        "schlüssel", "vorgangsschlüssel", "nummer", "kennung", "clé", "cle", "numéro", "identifiant", "référence",
        "clave", "número", "identificador", "sleutel", "nummer", "chave", "chiave", "numero", "номер", "ключ", "ид",
    ),
    "title": (
        "summary", "title", "name", "subject", "short description", "card name", "task name", "issue", "risk",
        "risk title", "risk description", "project", "project name", "case name",
        "zusammenfassung", "titel", "betreff", "thema", "résumé", "resume", "titre", "sujet", "intitulé",
        "resumen", "título", "asunto", "samenvatting", "onderwerp", "resumo", "assunto", "riepilogo", "titolo",
        "oggetto", "тема", "название", "заголовок", "краткое описание",
    ),
    "item_type": (
        "issue type", "work item type", "tracker", "type", "category type",
        "vorgangstyp", "typ", "art", "type de ticket", "tipo de incidencia", "tipo", "type probleem", "tipo di ticket",
        "трекер", "тип",
    ),
    "status": (
        "status", "state", "incident state", "incident_state", "concept:name", "activity", "lifecycle state", "list",
        "section", "column", "board column", "progress", "stage", "phase",
        "status", "zustand", "statut", "état", "etat", "estado", "situación", "toestand", "stato", "статус",
        "состояние",
    ),
    "owner": (
        "assignee", "assigned to", "owner", "responsible", "risk owner", "action owner", "handler", "assigned",
        "resource", "org:resource", "bearbeiter", "zugewiesen an", "verantwortlich", "zuständig", "responsable",
        "assigné à", "attribué à", "asignado", "asignado a", "responsável", "atribuído a", "toegewezen aan",
        "eigenaar", "verantwoordelijke", "assegnatario", "assegnato a", "responsabile", "назначена", "исполнитель",
        "ответственный", "назначено",
    ),
    "team": (
        "assignment group", "team", "area path", "department", "group", "squad", "abteilung", "équipe", "equipe",
        "département", "service", "equipo", "departamento", "grupo", "afdeling", "ploeg", "squadra", "reparto",
        "команда", "отдел", "группа",
    ),
    "created_at": (
        "created", "created date", "opened at", "opened", "submitted", "reported", "date submitted", "created at",
        "sys created at", "erstellt", "erstellt am", "angelegt", "créé", "cree", "date de création", "creado",
        "fecha de creación", "aangemaakt", "gemaakt", "criado", "data de criação", "creato", "data di creazione",
        "создан", "создано", "дата создания",
    ),
    "started_at": (
        "start date", "started", "start", "activated date", "begin", "beginn", "startdatum", "date de début",
        "début", "fecha de inicio", "inicio", "begindatum", "data de início", "data di inizio", "inizio",
        "дата начала", "начало",
    ),
    "due_at": (
        "due date", "due", "target date", "deadline", "end date", "fälligkeitsdatum", "fällig", "enddatum", "termin",
        "échéance", "echeance", "date d'échéance", "date de fin", "fecha de vencimiento", "fecha límite",
        "vervaldatum", "einddatum", "data de vencimento", "prazo", "scadenza", "data di scadenza", "срок",
        "дата окончания", "срок исполнения",
    ),
    "done_at": (
        "resolved", "resolved at", "closed at", "closed date", "resolution date", "completed", "completed at",
        "date completed", "erledigt am", "gelöst", "gelöst am", "geschlossen am", "résolu le", "résolu", "fermé le",
        "date de résolution", "resuelto", "fecha de resolución", "cerrado", "opgelost", "afgesloten", "resolvido",
        "data de resolução", "risolto", "data di risoluzione", "chiuso", "решена", "закрыта", "дата закрытия",
        "дата решения",
    ),
    "updated_at": (
        "updated", "sys updated at", "last updated", "changed date", "modified", "last modified", "time:timestamp",
        "timestamp", "event time", "change date+time", "date+time", "aktualisiert", "geändert", "zuletzt geändert",
        "mis à jour", "mis a jour", "modifié", "actualizado", "modificado", "bijgewerkt", "gewijzigd", "atualizado",
        "aggiornato", "modificato", "обновлено", "обновлен", "изменена", "изменено", "дата изменения",
    ),
    "effort": (
        "story points", "story point estimate", "effort", "original estimate", "estimate", "remaining work",
        "story-punkte", "schätzung", "aufwand", "points d'histoire", "estimation", "effort estimé",
        "puntos de historia", "estimación", "esfuerzo", "inspanning", "schatting", "pontos", "estimativa",
        "stima", "punti storia", "оценка", "трудозатраты",
    ),
    "priority": (
        "priority", "prio", "priorität", "priorite", "priorité", "prioridad", "prioriteit", "prioridade",
        "priorità", "приоритет",
    ),
    "description": (
        "description", "details", "beschreibung", "description détaillée", "descripción", "omschrijving",
        "beschrijving", "descrição", "descrizione", "описание",
    ),
    "depends_on": (
        "inward issue link (blocks)", "blocked by", "depends on", "predecessors", "abhängig von", "blockiert durch",
        "dépend de", "bloqué par", "depende de", "bloqueado por", "afhankelijk van", "dipende da", "зависит от",
        "блокируется",
    ),
    "reported_rag": ("rag", "rag status", "health", "ampel", "météo", "semáforo", "stoplicht", "semaforo"),
    "objective": ("objective", "goal", "epic link", "epic", "ziel", "objectif", "objetivo", "doel", "obiettivo",
                  "цель"),
}

KPIS: dict[str, tuple[str, ...]] = {
    "name": ("indicateur", "indikator", "kennzahl", "indicador", "indicatore", "показатель", "kpi name"),
    "code": ("id indicateur", "id_indicateur", "kennzahl id", "código", "codice"),
    "unit": ("unite", "unité", "einheit", "unidad", "eenheid", "unidade", "unità", "единица"),
    "target": ("cible", "ziel", "zielwert", "objetivo", "doel", "meta", "obiettivo", "цель"),
    "baseline": ("valeur initiale", "ausgangswert", "valor inicial", "beginwaarde", "valore iniziale"),
    "owner": ("responsable", "verantwortlich", "eigenaar", "responsabile", "ответственный"),
}

KPI_READINGS: dict[str, tuple[str, ...]] = {
    "kpi": ("indicateur", "id indicateur", "kennzahl", "indicador", "indicatore", "показатель"),
    "period": ("date", "datum", "fecha", "data", "période", "periode", "periodo", "дата", "период", "as of date"),
    "value": ("valeur", "wert", "valor", "waarde", "valore", "значение", "valeur actuelle"),
    "segment": ("maille geographique", "maille_geographique", "region", "région", "département", "departement",
                "site", "location", "segment", "dimension", "territory", "state", "bundesland", "provincia",
                "regione", "регион", "zone", "area"),
}

OBJECTIVES: dict[str, tuple[str, ...]] = {
    "title": ("mesure", "ziel", "objectif", "objetivo", "doel", "obiettivo", "цель"),
    "owner": ("responsable", "verantwortlich", "eigenaar", "responsabile", "ответственный"),
}

EXTRA: dict[str, dict[str, tuple[str, ...]]] = {
    "work_items": WORK_ITEMS, "kpis": KPIS, "kpi_readings": KPI_READINGS, "objectives": OBJECTIVES,
}
