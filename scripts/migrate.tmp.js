require('reflect-metadata');
const { runMigrations, migrationsDrift } = require('@audit-trail/platform');
(async () => {
  const url = process.env.DATABASE_URL;
  console.log(await runMigrations({ DATABASE_URL: url, APP_DB_PASSWORD: 'audit_app_local_only' }));
  console.log('drift:', await migrationsDrift(url));
})().catch(e => { console.error(e); process.exit(1); });
