use sea_orm::DatabaseConnection;
pub struct SeaOrmClientReadModel(DatabaseConnection);
