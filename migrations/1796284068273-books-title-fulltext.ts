import { MigrationInterface, QueryRunner } from "typeorm";

export class BooksTitleFulltext1796284068273 implements MigrationInterface {
    name = 'BooksTitleFulltext1796284068273'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE FULLTEXT INDEX \`FT_books_title\` ON \`books\` (\`title\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`FT_books_title\` ON \`books\``);
    }

}
