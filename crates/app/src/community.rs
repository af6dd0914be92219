//! Servers and their channels: creating, changing and deleting them, joining and leaving
//! a server, handing it on. Removing anything publishes the event that closes the sockets
//! it concerned.

use crate::App;
use crate::access::{ManagedChannel, OwnedServer, allowed};
use crate::error::{AppError, AppResult};
use crate::media::{ImageChange, MediaOwner};
use pingme_domain::account::Account;
use pingme_domain::community::{
    Accepted, Channel, ChannelChanges, ChannelName, Description, Joined, Left, NewChannel,
    NewServer, Server, ServerChanges,
};
use pingme_domain::events::Event;
use pingme_domain::permissions::{BANNED, Relation, join};
use pingme_domain::{AccountId, ServerId};
use std::future::Future;
use tracing::{Instrument, instrument};

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

const INVITE_ONLY: &str = "This server is private; joining it takes a valid invite.";

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
        finish_or_undo(attach, undo, "server", id.0).await
    }

    /// Changes what `changes` names and the images `images` replace or clear.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
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
        let server = self
            .store
            .update_server(id, &changes)
            .await?
            .ok_or(AppError::NotFound)?;
        self.dispatch_server_updated(&server);
        Ok(server)
    }

    /// Deletes the server with its channels, members, bans and invites; its sockets close.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
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
            Left::Left => self.member_left(server, caller.id),
            Left::NotMember => {}
            Left::Owner => {
                return Err(AppError::BadRequest(
                    "The owner cannot leave their own server; delete it or transfer its ownership first.".into(),
                ));
            }
        }
        Ok(())
    }

    /// The caller joins the server: a public one freely, a private one with an `invite`
    /// code. Joining twice is harmless; a banned account cannot join.
    #[instrument(skip_all, fields(account = %caller.id, %server))]
    pub async fn join_server(
        &self,
        caller: &Account,
        server: ServerId,
        invite: Option<&str>,
    ) -> AppResult<()> {
        let access = self.access(server, Some(caller)).await?;
        let holds_invite = match invite {
            Some(code) => self.holds_invite(server, code).await?,
            None => false,
        };
        allowed(join(
            access.server.is_private,
            access.relation,
            holds_invite,
        ))?;
        let by_invite = holds_invite && access.relation == Relation::Outsider;
        match invite {
            Some(code) if by_invite => match self.store.accept_invite(code, caller.id).await? {
                Accepted::Joined(_) => {
                    self.member_joined(server, caller).await;
                    Ok(())
                }
                Accepted::AlreadyMember(_) => Ok(()),
                Accepted::Banned => Err(AppError::Forbidden(BANNED.into())),
                Accepted::Unusable => Err(AppError::Forbidden(INVITE_ONLY.into())),
            },
            // The store checks again, in the insert's own transaction.
            _ => match self.store.join(server, caller.id).await? {
                Joined::Joined => {
                    self.member_joined(server, caller).await;
                    Ok(())
                }
                Joined::AlreadyMember => Ok(()),
                Joined::Banned => Err(AppError::Forbidden(BANNED.into())),
                Joined::Private => Err(AppError::Forbidden(INVITE_ONLY.into())),
                Joined::NoSuchServer => Err(AppError::NotFound),
            },
        }
    }

    /// Hands the owned server to another of its members; answers it as it is now.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id, target = %to))]
    pub async fn transfer_ownership(
        &self,
        owned: &OwnedServer,
        to: AccountId,
    ) -> AppResult<Server> {
        let id = owned.0.id;
        if to == owned.0.owner {
            return Err(AppError::field(
                "account",
                "That account already owns this server.",
            ));
        }
        if !self.store.transfer_ownership(id, to).await? {
            return Err(AppError::field(
                "account",
                "That account is not a member of this server.",
            ));
        }
        self.store.server(id).await?.ok_or(AppError::NotFound)
    }

    /// Makes a text channel in the owned server; its owner is the channel's maker.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
    pub async fn create_channel(
        &self,
        owned: &OwnedServer,
        name: ChannelName,
        description: Option<Description>,
    ) -> AppResult<Channel> {
        let new = NewChannel {
            server: owned.0.id,
            owner: owned.0.owner,
            name,
            description,
        };
        let channel = self.store.create_channel(&new).await?;
        self.dispatch_channel("channel_create", &channel);
        Ok(channel)
    }

    /// Changes what `changes` names; the channel stays in its server.
    #[instrument(skip_all, fields(account = %managed.by, channel = %managed.channel.id))]
    pub async fn update_channel(
        &self,
        managed: &ManagedChannel,
        changes: ChannelChanges,
    ) -> AppResult<Channel> {
        let channel = self
            .store
            .update_channel(managed.channel.id, &changes)
            .await?
            .ok_or(AppError::NotFound)?;
        self.dispatch_channel("channel_update", &channel);
        Ok(channel)
    }

    /// Deletes the channel; its sockets close.
    #[instrument(skip_all, fields(account = %managed.by, channel = %managed.channel.id))]
    pub async fn delete_channel(&self, managed: ManagedChannel) -> AppResult<()> {
        let channel = managed.channel;
        if self.store.delete_channel(channel.id).await? {
            self.publish(Event::ChannelDeleted {
                server: channel.server,
                channel: channel.id,
            });
            self.dispatch_channel_deleted(channel.server, channel.id);
        }
        Ok(())
    }

    /// What follows a server's deletion, however it happened.
    pub(crate) fn server_deleted(&self, server: ServerId) {
        self.publish(Event::ServerDeleted { server });
        self.dispatch_server_deleted(server);
        self.sweep_later(MediaOwner::Server(server));
    }

    async fn server_images(&self, id: ServerId, images: ServerImages) -> AppResult<ServerChanges> {
        let owner = MediaOwner::Server(id);
        let (icon, banner) = self
            .store_image_pair(owner, images.icon, images.banner)
            .await?;
        Ok(ServerChanges {
            icon,
            banner,
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
    id: i64,
) -> AppResult<T> {
    let task = async move {
        match finish.await {
            Ok(done) => Ok(done),
            Err(error) => {
                if let Err(cleanup) = undo.await {
                    tracing::error!(error = %cleanup, id, "could not remove a half-made {what}");
                }
                Err(error)
            }
        }
    };
    tokio::spawn(task.in_current_span())
        .await
        .map_err(AppError::internal)?
}
