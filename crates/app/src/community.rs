//! Servers and their channels: creating, changing and deleting them, and leaving one.
//! Removing anything publishes the event that closes the sockets it concerned.

use crate::App;
use crate::access::{ManagedChannel, OwnedServer};
use crate::error::{AppError, AppResult};
use crate::media::{ImageChange, MediaOwner};
use pingme_domain::ServerId;
use pingme_domain::account::Account;
use pingme_domain::community::{Left, NewServer, Server, ServerChanges};
use pingme_domain::events::Event;
use std::future::Future;
use tracing::instrument;

/// A server's two images, as a request asks for them.
pub struct ServerImages {
    pub icon: ImageChange,
    pub banner: ImageChange,
}

impl ServerImages {
    fn keep(&self) -> bool {
        self.icon.is_keep() && self.banner.is_keep()
    }
}

impl App {
    /// Creates a server owned by `new.owner`, then files its images under its id; if that
    /// fails, the server goes again.
    #[instrument(skip_all, fields(account = %new.owner))]
    pub async fn create_server(&self, new: NewServer, images: ServerImages) -> AppResult<Server> {
        let server = self.store.create_server(&new).await?;
        if images.keep() {
            return Ok(server);
        }
        let (app, id) = (self.clone(), server.id);
        let attach = async move {
            let changes = app.server_images(id, images).await?;
            app.store
                .update_server(id, &changes)
                .await?
                .ok_or(AppError::NotFound)
        };
        let app = self.clone();
        let undo = async move { app.store.delete_server(id).await.map(drop) };
        finish_or_undo(attach, undo, "server").await
    }

    /// Changes what `changes` names and the images `images` replace or clear.
    #[instrument(skip_all, fields(server = %owned.0.id))]
    pub async fn update_server(
        &self,
        owned: OwnedServer,
        changes: ServerChanges,
        images: ServerImages,
    ) -> AppResult<Server> {
        let id = owned.0.id;
        let ServerChanges { icon, banner, .. } = self.server_images(id, images).await?;
        let changes = ServerChanges {
            icon,
            banner,
            ..changes
        };
        self.store
            .update_server(id, &changes)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Deletes the server with its channels, members, bans and invites; its sockets close.
    #[instrument(skip_all, fields(server = %owned.0.id))]
    pub async fn delete_server(&self, owned: OwnedServer) -> AppResult<()> {
        let id = owned.0.id;
        if self.store.delete_server(id).await? {
            self.server_deleted(id);
        }
        Ok(())
    }

    /// The caller leaves the server; leaving one they are not in is harmless. Their sockets
    /// in it close.
    #[instrument(skip_all, fields(account = %caller.id, %server))]
    pub async fn leave_server(&self, caller: &Account, server: ServerId) -> AppResult<()> {
        self.store.server(server).await?.ok_or(AppError::NotFound)?;
        match self.store.leave(server, caller.id).await? {
            Left::Left => self.publish(Event::MemberRemoved {
                server,
                account: caller.id,
            }),
            Left::NotMember => {}
            Left::Owner => {
                return Err(AppError::BadRequest(
                    "The owner cannot leave their own server; delete it or transfer its ownership first.".into(),
                ));
            }
        }
        Ok(())
    }

    /// Deletes the channel; its sockets close.
    #[instrument(skip_all, fields(channel = %managed.0.id))]
    pub async fn delete_channel(&self, managed: ManagedChannel) -> AppResult<()> {
        let channel = managed.0;
        if self.store.delete_channel(channel.id).await? {
            self.publish(Event::ChannelDeleted {
                server: channel.server,
                channel: channel.id,
            });
        }
        Ok(())
    }

    /// What follows a server's deletion, however it happened.
    pub(crate) fn server_deleted(&self, server: ServerId) {
        self.publish(Event::ServerDeleted { server });
        self.sweep_later(MediaOwner::Server(server));
    }

    async fn server_images(&self, id: ServerId, images: ServerImages) -> AppResult<ServerChanges> {
        let owner = MediaOwner::Server(id);
        Ok(ServerChanges {
            icon: self.store_image(owner, images.icon).await?,
            banner: self.store_image(owner, images.banner).await?,
            ..ServerChanges::default()
        })
    }
}

/// Finishes making something that was just created (its images are filed under its id, so
/// they come after it); on failure, `undo` removes it, so a retry does not find its name
/// taken. Runs apart from the request, so a client that hangs up cannot leave it half-made.
pub(crate) async fn finish_or_undo<T: Send + 'static>(
    finish: impl Future<Output = AppResult<T>> + Send + 'static,
    undo: impl Future<Output = Result<(), pingme_domain::store::StoreError>> + Send + 'static,
    what: &'static str,
) -> AppResult<T> {
    tokio::spawn(async move {
        match finish.await {
            Ok(done) => Ok(done),
            Err(error) => {
                if let Err(cleanup) = undo.await {
                    tracing::error!(error = %cleanup, "could not remove a half-made {what}");
                }
                Err(error)
            }
        }
    })
    .await
    .map_err(AppError::internal)?
}
