import { MigrationInterface, QueryRunner } from "typeorm";

export class DomainSchema1795578321246 implements MigrationInterface {
    name = 'DomainSchema1795578321246'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE \`authors\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`name\` varchar(200) NOT NULL, \`bio\` text NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`books\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`title\` varchar(300) NOT NULL, \`isbn\` varchar(17) NOT NULL, \`price\` decimal(10,2) NOT NULL, \`stock\` int UNSIGNED NOT NULL DEFAULT '0', \`authorId\` int UNSIGNED NOT NULL, \`version\` int UNSIGNED NOT NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`UQ_books_isbn\` (\`isbn\`), INDEX \`IDX_books_author\` (\`authorId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`CREATE TABLE \`orders\` (\`id\` int UNSIGNED NOT NULL AUTO_INCREMENT, \`bookId\` int UNSIGNED NOT NULL, \`quantity\` int UNSIGNED NOT NULL, \`status\` enum ('placed', 'shipped', 'cancelled') NOT NULL DEFAULT 'placed', \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`IDX_orders_book\` (\`bookId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
        await queryRunner.query(`ALTER TABLE \`books\` ADD CONSTRAINT \`FK_books_author\` FOREIGN KEY (\`authorId\`) REFERENCES \`authors\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE \`orders\` ADD CONSTRAINT \`FK_orders_book\` FOREIGN KEY (\`bookId\`) REFERENCES \`books\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`orders\` DROP FOREIGN KEY \`FK_orders_book\``);
        await queryRunner.query(`ALTER TABLE \`books\` DROP FOREIGN KEY \`FK_books_author\``);
        await queryRunner.query(`DROP INDEX \`IDX_orders_book\` ON \`orders\``);
        await queryRunner.query(`DROP TABLE \`orders\``);
        await queryRunner.query(`DROP INDEX \`IDX_books_author\` ON \`books\``);
        await queryRunner.query(`DROP INDEX \`UQ_books_isbn\` ON \`books\``);
        await queryRunner.query(`DROP TABLE \`books\``);
        await queryRunner.query(`DROP TABLE \`authors\``);
    }

}
