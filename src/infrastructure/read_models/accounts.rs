use sea_orm::DatabaseConnection;
pub struct SeaOrmAccountReadModel(DatabaseConnection);
