import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecVideoRecorder
import torch as th
import wandb
from wandb.integration.sb3 import WandbCallback

config = {"policy_type": "MlpPolicy", "total_timesteps": 25000, "env_name": "CartPole-v1"}
run = wandb.init(project="sb3", config=config, sync_tensorboard=True, monitor_gym=True, save_code=True)


def make_env():
    return gym.make(config["env_name"], render_mode="rgb_array")


env = VecVideoRecorder(DummyVecEnv([make_env]), f"videos/{run.id}", record_video_trigger=lambda x: x % 2000 == 0)
model = PPO(config["policy_type"], env, verbose=1, tensorboard_log=f"runs/{run.id}", policy_kwargs={"activation_fn": th.nn.ReLU})
model.learn(total_timesteps=config["total_timesteps"], callback=WandbCallback(model_save_path=f"models/{run.id}"))
run.finish()
