-- The `sluice` user creates and drops a database per integration test (libs/testing's
-- createDatabase), as it may on infra/local's MariaDB. Development only.
GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'%';
