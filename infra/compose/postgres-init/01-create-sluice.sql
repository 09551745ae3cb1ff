-- The `sluice` role creates and drops a database per integration test (libs/testing's
-- createPostgresDatabase), as it may on infra/local's PostgreSQL. Development only.
CREATE ROLE sluice LOGIN CREATEDB PASSWORD 'sluice';
CREATE DATABASE sluice OWNER sluice;
