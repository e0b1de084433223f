/**
 * The PostgreSQL the tests use: TEST_DATABASE_URL, or the role and database that scripts/setup.sh creates.
 * Tests that need it fail (not skip) when it is unreachable: CI guarantees a server.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://mssp_test:mssp_test@127.0.0.1:5432/mssp_test';
