-- The directory of commissioned support services (sqlite). Keep in step with ../postgres/0014_support_service.sql.
-- An entry names no one: it is reference data, kept by one organisation (owner_org), whose people alone change it.
-- Lists are stored as text separated by ';' (areas: 'all', or local authority codes); dates are YYYY-MM-DD.
CREATE TABLE support_service (
    id INTEGER PRIMARY KEY,
    owner_org INTEGER NOT NULL REFERENCES org (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    serves TEXT NOT NULL,
    min_age BIGINT CHECK (min_age BETWEEN 0 AND 25),
    max_age BIGINT CHECK (max_age BETWEEN 0 AND 25),
    areas TEXT NOT NULL,
    needs TEXT NOT NULL,
    capacity BIGINT CHECK (capacity > 0),
    phone TEXT,
    email TEXT,
    web TEXT,
    commissioner TEXT NOT NULL,
    contract_ends TEXT,
    active BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX support_service_name ON support_service (owner_org, lower(name));
CREATE INDEX support_service_by_kind ON support_service (kind, name);
