import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Lifeguard's own table (src/idempotency/): one row per Idempotency-Key a POST or PATCH was sent
 * with, written in the same transaction as the change it answers. Not an entity: no route
 * exposes it, and the plugin reads and writes it with SQL of its own.
 */
export class IdempotencyKeys1796290355145 implements MigrationInterface {
    name = 'IdempotencyKeys1796290355145'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`lifeguard_idempotency_keys\` (\`scope\` binary(32) NOT NULL, \`idempotency_key\` varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, \`fingerprint\` binary(32) NOT NULL, \`status\` smallint UNSIGNED NULL, \`headers\` text NULL, \`body\` longblob NULL, \`created_at\` datetime(3) NOT NULL, INDEX \`IDX_idempotency_created\` (\`created_at\`), PRIMARY KEY (\`scope\`, \`idempotency_key\`)) ENGINE=InnoDB`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE \`lifeguard_idempotency_keys\``);
    }

}
