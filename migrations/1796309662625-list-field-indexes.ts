import { MigrationInterface, QueryRunner } from "typeorm";

export class ListFieldIndexes1796309662625 implements MigrationInterface {
    name = 'ListFieldIndexes1796309662625'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX \`IDX_authors_name\` ON \`authors\` (\`name\`)`);
        // By hand: TypeORM cannot declare a prefix index (Author.bio marks it synchronize: false).
        await queryRunner.query(`CREATE INDEX \`IDX_authors_bio\` ON \`authors\` (\`bio\`(100))`);
        await queryRunner.query(`CREATE INDEX \`IDX_authors_created\` ON \`authors\` (\`createdAt\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_books_title\` ON \`books\` (\`title\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_books_price\` ON \`books\` (\`price\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_books_stock\` ON \`books\` (\`stock\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_books_created\` ON \`books\` (\`createdAt\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_books_updated\` ON \`books\` (\`updatedAt\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_orders_quantity\` ON \`orders\` (\`quantity\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_orders_status\` ON \`orders\` (\`status\`)`);
        await queryRunner.query(`CREATE INDEX \`IDX_orders_created\` ON \`orders\` (\`createdAt\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_orders_created\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`IDX_orders_status\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`IDX_orders_quantity\` ON \`orders\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_updated\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_created\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_stock\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_price\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_title\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`IDX_authors_created\` ON \`authors\``);
        await queryRunner.query(`DROP INDEX \`IDX_authors_bio\` ON \`authors\``);
        await queryRunner.query(`DROP INDEX \`IDX_authors_name\` ON \`authors\``);
    }

}
