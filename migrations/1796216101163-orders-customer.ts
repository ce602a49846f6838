import { MigrationInterface, QueryRunner } from "typeorm";

export class OrdersCustomer1796216101163 implements MigrationInterface {
    name = 'OrdersCustomer1796216101163'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \`orders\` ADD \`customerId\` varchar(255) NULL`);
        await queryRunner.query(`CREATE INDEX \`IDX_orders_customer\` ON \`orders\` (\`customerId\`)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX \`IDX_orders_customer\` ON \`orders\``);
        await queryRunner.query(`ALTER TABLE \`orders\` DROP COLUMN \`customerId\``);
    }

}
